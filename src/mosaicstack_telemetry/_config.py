"""TelemetryConfig: every setting, its default, its valid range, and the environment variables.

`FIELD_RULES` is the one table of what each field accepts (type, range, unit, and what the client
uses instead of an invalid value); `validate()` reports against it and `TelemetryClient` falls
back through it, so a new field is one line there. Constructing a config never raises: problems
are reported by `validate()`, and the client never runs with an invalid value.
"""

from __future__ import annotations

import copy
import math
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from . import _secrets, _urls
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

# Below this the submitter would wake so often it busy-loops a core.
MIN_SUBMIT_INTERVAL_SECONDS = 0.01

_DEFAULT = object()
# A FieldRule fallback: no substitute; the value is used as far as it is safe (usable_config).
KEEP = object()


@dataclass(frozen=True)
class FieldRule:
    """What one TelemetryConfig field accepts, and what the client uses when it is invalid."""

    kind: type
    """bool, int, float, str, or os.PathLike (a str or path object)."""
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    check: Callable[[str], str | None] | None = None
    """For strings: the problem with a value, or None."""
    optional: bool = False
    """Whether None is valid (it means "off" for the field)."""
    fallback: object = _DEFAULT
    """Used by the client instead of an invalid value: the field's default unless given."""


def _server_url_problem(value: str) -> str | None:
    if not value:
        return f"server_url is required (set it or {ENV_SERVER_URL})"
    return _urls.problem(value)


def header_safe(value: str) -> bool:
    """Whether `value` can go into an HTTP header as it is (printable ASCII only)."""
    return all(0x20 <= ord(c) < 0x7F for c in value)


def _api_key_problem(value: str) -> str | None:
    if _API_KEY.fullmatch(value):
        return None
    # Never the key itself, only its length and shape.
    if not header_safe(value):
        return (
            f"api_key cannot be sent in an HTTP header (it has {_secrets.shape(value)}); "
            f"it must be a 64-character hex string (set it or {ENV_API_KEY})"
        )
    return (
        f"api_key must be a 64-character hex string (got {_secrets.shape(value)}; "
        f"set it or {ENV_API_KEY})"
    )


def _instance_id_problem(value: str) -> str | None:
    try:
        uuid.UUID(value)
    except ValueError:
        return f"instance_id must be a valid UUID, got {value!r} (set it or {ENV_INSTANCE_ID})"
    return None


def _path_problem(value: str) -> str | None:
    if "\x00" in value:
        return f"must not contain a NUL character, got {value!r}"
    return None


def _user_agent_problem(value: str) -> str | None:
    if value and header_safe(value):
        return None
    return f"user_agent must be non-empty printable ASCII (an HTTP header value), got {value!r}"


# One line per field. Ranges are inclusive; numbers must also be finite.
FIELD_RULES: dict[str, FieldRule] = {
    "server_url": FieldRule(str, check=_server_url_problem, fallback=KEEP),
    "api_key": FieldRule(str, check=_api_key_problem, fallback=KEEP),
    "instance_id": FieldRule(str, check=_instance_id_problem, fallback=KEEP),
    # An invalid switch fails safe: telemetry off, and nothing sent in dry-run.
    "enabled": FieldRule(bool, fallback=False),
    "submit_interval_seconds": FieldRule(float, MIN_SUBMIT_INTERVAL_SECONDS, 86_400.0, "seconds"),
    "max_queue_size": FieldRule(int, 1, 1_000_000, "events"),
    "batch_size": FieldRule(int, 1, 100, "events"),
    "request_timeout_seconds": FieldRule(float, 0.1, 600.0, "seconds"),
    "prediction_cache_ttl_seconds": FieldRule(float, 0.0, 2_592_000.0, "seconds"),
    "dry_run": FieldRule(bool, fallback=True),
    "max_retries": FieldRule(int, 0, 20, "retries"),
    "user_agent": FieldRule(str, check=_user_agent_problem),
    "shutdown_timeout_seconds": FieldRule(float, 0.0, 3_600.0, "seconds"),
    "flush_on_sigterm": FieldRule(bool),
    "max_event_age_seconds": FieldRule(float, 1.0, 31_536_000.0, "seconds", optional=True),
    # An unusable spool directory means no spool (events stay in memory).
    "spool_dir": FieldRule(os.PathLike, check=_path_problem, optional=True, fallback=None),
    "spool_max_bytes": FieldRule(int, 1024, 10 * 1024**3, "bytes"),
    "persist_predictions": FieldRule(bool),
    # An unusable cache directory means predictions are not kept on disk.
    "prediction_cache_dir": FieldRule(os.PathLike, check=_path_problem, fallback=""),
    "prediction_max_stale_seconds": FieldRule(float, 0.0, 31_536_000.0, "seconds"),
}


def _type_name(kind: type) -> str:
    names = {bool: "True or False", int: "an integer", float: "a number", str: "a string"}
    return names.get(kind, "a path (str or os.PathLike)")


def _shown(name: str, value: object) -> str:
    if name == "api_key":
        return "(value not shown)"  # never the value of a key, whatever its type
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def field_problem(name: str, value: object) -> str | None:
    """What is wrong with `value` for field `name` (per FIELD_RULES), or None if it is valid."""
    rule = FIELD_RULES[name]
    if value is None and rule.optional:
        return None
    if rule.kind is os.PathLike:
        if not isinstance(value, (str, os.PathLike)):
            return f"{name} must be {_type_name(rule.kind)} or None, got {type(value).__name__}"
        try:
            path = os.fspath(value)
        except TypeError as exc:
            return f"{name} must be {_type_name(rule.kind)} or None, got {exc}"
        if not isinstance(path, str):
            return f"{name} must be a text path, got {type(path).__name__}"
        problem = rule.check(path) if rule.check is not None else None
        return None if problem is None else f"{name} {problem}"
    if rule.kind is bool:
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            return (
                f"{name} must be True or False, got the string {_shown(name, value)} "
                "(a string is not a switch: any non-empty string would count as on)"
            )
        return f"{name} must be True or False, got {type(value).__name__} {_shown(name, value)}"
    if rule.kind is str:
        if not isinstance(value, str):
            return f"{name} must be a string, got {type(value).__name__} {_shown(name, value)}"
        return rule.check(value) if rule.check is not None else None
    # Numbers. bool is an int to Python, never a count or a duration here.
    kinds: tuple[type, ...] = (int,) if rule.kind is int else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not isinstance(value, kinds)
    ):
        return (
            f"{name} must be {_type_name(rule.kind)}, got {type(value).__name__} "
            f"{_shown(name, value)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} must be a finite number, got {value!r}"
    low, high = rule.minimum, rule.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {rule.unit}" if rule.unit else ""
        none = " (or None)" if rule.optional else ""
        return (
            f"{name} must be between {_number(low)} and {_number(high)}{unit}{none}, got {value!r}"
        )
    return None


def _number(value: float | None) -> str:
    if value is None:
        return "any"
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 1000 else f"{value:g}"


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
        if self.prediction_cache_dir and isinstance(self.prediction_cache_dir, (str, os.PathLike)):
            self.prediction_cache_dir = os.fspath(self.prediction_cache_dir)  # a Path works too
        elif not self.prediction_cache_dir:
            self.prediction_cache_dir = env.get(ENV_CACHE_DIR, "").strip()
        # Never raise here: values of the wrong type are kept for validate() to name.
        if isinstance(self.server_url, str):
            self.server_url = self.server_url.strip().rstrip("/")
        if isinstance(self.api_key, str):
            # A key read from a file or pasted often ends in a newline; it is never part of a key.
            self.api_key = self.api_key.strip()
            _secrets.register(self.api_key, self)
        if isinstance(self.instance_id, uuid.UUID):
            self.instance_id = str(self.instance_id)
        if self.spool_dir is None or self.spool_dir == "":
            # An empty MOSAIC_TELEMETRY_SPOOL_DIR counts as unset: no spool.
            self.spool_dir = env.get(ENV_SPOOL_DIR, "").strip() or None

    def validate(self) -> list[str]:
        """Return one message per configuration problem; an empty list means valid."""
        # In field order. A field without a rule is not checked here (a test requires one).
        checked = (f.name for f in fields(self) if f.name in FIELD_RULES)
        problems = (field_problem(name, getattr(self, name)) for name in checked)
        return [problem for problem in problems if problem is not None]

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
            elif f.name == "server_url" and isinstance(value, str):
                parts.append(f"server_url={_urls.mask(value)!r}")
            else:
                parts.append(f"{f.name}={value!r}")
        return f"TelemetryConfig({', '.join(parts)})"

    @property
    def events_url(self) -> str:
        """Where event batches are sent (credentials in server_url masked)."""
        url = self.server_url if isinstance(self.server_url, str) else ""
        return f"{_urls.mask(url)}/v1/events/batch"


def usable_config(config: TelemetryConfig) -> tuple[TelemetryConfig, list[str]]:
    """A copy the client can run with, and one message per field it had to replace.

    Each invalid field takes its rule's fallback (the documented default, or off for a switch);
    server_url keeps only what may be sent (no credentials); an api_key that is not safe in a
    header is dropped (the server then answers 401). The input is not changed.
    """
    usable = copy.copy(config)
    defaults = {f.name: f.default for f in fields(config)}
    messages: list[str] = []
    for name, rule in FIELD_RULES.items():
        value: Any = getattr(config, name)
        problem = field_problem(name, value)
        if problem is None:
            continue
        if rule.fallback is KEEP:
            messages.append(problem)
            continue
        replacement = defaults[name] if rule.fallback is _DEFAULT else rule.fallback
        setattr(usable, name, replacement)
        unit = f" {rule.unit}" if rule.unit else ""
        messages.append(f"{problem}; using {replacement!r}{unit} instead")
    url = config.server_url if isinstance(config.server_url, str) else ""
    usable.server_url = _urls.usable(url)
    key = config.api_key if isinstance(config.api_key, str) else ""
    usable.api_key = key if header_safe(key) else ""
    return usable, messages
