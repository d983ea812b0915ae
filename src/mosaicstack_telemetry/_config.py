"""TelemetryConfig: every setting, its default, and the environment variables that fill it."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, fields

from ._env_switch import ENV_ENABLED as ENV_ENABLED
from ._env_switch import resolve_enabled
from ._version import __version__

ENV_SERVER_URL = "MOSAIC_TELEMETRY_SERVER_URL"
ENV_API_KEY = "MOSAIC_TELEMETRY_API_KEY"
ENV_INSTANCE_ID = "MOSAIC_TELEMETRY_INSTANCE_ID"
ENV_SPOOL_DIR = "MOSAIC_TELEMETRY_SPOOL_DIR"
ENV_CACHE_DIR = "MOSAIC_TELEMETRY_CACHE_DIR"

_API_KEY = re.compile(r"[0-9a-fA-F]{64}")

DEFAULT_USER_AGENT = f"mosaicstack-telemetry-python/{__version__}"
DEFAULT_SPOOL_MAX_BYTES = 10 * 1024 * 1024


@dataclass(repr=False)
class TelemetryConfig:
    """All configuration for the telemetry client; empty fields are filled from the environment."""

    server_url: str = ""
    api_key: str = ""
    instance_id: str = ""
    enabled: bool = True
    submit_interval_seconds: float = 300.0
    max_queue_size: int = 1000
    batch_size: int = 100
    request_timeout_seconds: float = 10.0
    prediction_cache_ttl_seconds: float = 21600.0
    dry_run: bool = False
    max_retries: int = 3
    user_agent: str = DEFAULT_USER_AGENT
    # Shutdown, signals and the disk spool (docs/lifecycle.md).
    shutdown_timeout_seconds: float = 10.0
    flush_on_sigterm: bool = True
    max_event_age_seconds: float | None = None
    spool_dir: str | os.PathLike[str] | None = None
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES
    # Persisted predictions (docs/predictions.md): on when either of the first two is set.
    persist_predictions: bool = False
    prediction_cache_dir: str = ""
    prediction_max_stale_seconds: float = 604800.0

    def __post_init__(self) -> None:
        env = os.environ
        # A recognised MOSAIC_TELEMETRY_ENABLED always wins, then DO_NOT_TRACK=1.
        self.enabled = resolve_enabled(self.enabled)
        if not self.server_url:
            self.server_url = env.get(ENV_SERVER_URL, "")
        if not self.api_key:
            self.api_key = env.get(ENV_API_KEY, "")
        if not self.instance_id:
            self.instance_id = env.get(ENV_INSTANCE_ID, "")
        if self.prediction_cache_dir:
            self.prediction_cache_dir = os.fspath(self.prediction_cache_dir)  # a Path works too
        else:
            self.prediction_cache_dir = env.get(ENV_CACHE_DIR, "").strip()
        self.server_url = self.server_url.strip().rstrip("/")
        self.instance_id = str(self.instance_id)
        if self.spool_dir is None or self.spool_dir == "":
            # An empty MOSAIC_TELEMETRY_SPOOL_DIR counts as unset: no spool.
            self.spool_dir = env.get(ENV_SPOOL_DIR, "").strip() or None

    def validate(self) -> list[str]:
        """Return one message per configuration problem; an empty list means valid."""
        errors: list[str] = []
        if not self.server_url:
            errors.append(f"server_url is required (set it or {ENV_SERVER_URL})")
        elif not self.server_url.startswith(("http://", "https://")):
            errors.append(
                f"server_url must start with http:// or https://, got {self.server_url!r}"
            )
        if not _API_KEY.fullmatch(self.api_key):
            # Never echo the key itself, only its shape.
            errors.append(
                f"api_key must be a 64-character hex string (got {len(self.api_key)} characters; "
                f"set it or {ENV_API_KEY})"
            )
        try:
            uuid.UUID(self.instance_id)
        except ValueError:
            errors.append(
                f"instance_id must be a valid UUID, got {self.instance_id!r} "
                f"(set it or {ENV_INSTANCE_ID})"
            )
        if not self.submit_interval_seconds > 0:
            errors.append(
                f"submit_interval_seconds must be positive, got {self.submit_interval_seconds}"
            )
        if not self.max_queue_size > 0:
            errors.append(f"max_queue_size must be positive, got {self.max_queue_size}")
        if not 1 <= self.batch_size <= 100:
            errors.append(f"batch_size must be between 1 and 100, got {self.batch_size}")
        if not self.request_timeout_seconds > 0:
            errors.append(
                f"request_timeout_seconds must be positive, got {self.request_timeout_seconds}"
            )
        errors.extend(self._lifecycle_problems())
        errors.extend(self._prediction_problems())
        return errors

    def _lifecycle_problems(self) -> list[str]:
        errors: list[str] = []
        if not self.shutdown_timeout_seconds >= 0:
            errors.append(
                f"shutdown_timeout_seconds must be zero or positive, "
                f"got {self.shutdown_timeout_seconds}"
            )
        age = self.max_event_age_seconds
        if age is not None and not age > 0:
            errors.append(f"max_event_age_seconds must be positive or None, got {age}")
        if not self.spool_max_bytes > 0:
            errors.append(f"spool_max_bytes must be positive, got {self.spool_max_bytes}")
        return errors

    def _prediction_problems(self) -> list[str]:
        stale = self.prediction_max_stale_seconds
        if not 0 <= stale < float("inf"):
            return [f"prediction_max_stale_seconds must be zero or positive, got {stale}"]
        return []

    @property
    def persists_predictions(self) -> bool:
        """Whether predictions are kept on disk (persist_predictions or a prediction_cache_dir)."""
        return bool(self.persist_predictions or self.prediction_cache_dir)

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "api_key":
                parts.append(f"api_key={'<redacted>' if value else ''!r}")
            else:
                parts.append(f"{f.name}={value!r}")
        return f"TelemetryConfig({', '.join(parts)})"

    @property
    def events_url(self) -> str:
        """Where event batches are sent."""
        return f"{self.server_url}/v1/events/batch"
