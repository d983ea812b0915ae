"""Exceptions, and the parsing of the Retry-After header that ApiError carries."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: TelemetryError alone must not import httpx
    import httpx


# RFC 9110 delay-seconds: digits only. float() would also take "nan", "inf", "1e3", "1_000"
# and "-5"; those are as unusable as any other junk, so the backoff applies instead.
_DELAY_SECONDS = re.compile(r"[0-9]+")


class TelemetryError(Exception):
    """Base exception for telemetry client errors."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP date); None if unusable.

    A date in the past means 0; anything else (a fraction, a sign, a word) is unusable.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    import email.utils  # only for HTTP dates; it imports socket, too much for every start

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class DeadlineExceeded(TelemetryError):
    """A request did not finish within its total time budget; its outcome is unknown."""


class ApiError(TelemetryError):
    """A non-2xx (or unparseable) response from the Telemetry API."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after
        self.body = body

    @classmethod
    def from_response(cls, response: httpx.Response, message: str | None = None) -> ApiError:
        """Build from a response: status, Retry-After, body, and the server's `detail` if any."""
        body = response.text
        if message is None:
            message = _detail(response) or response.reason_phrase or "error"
        return cls(
            response.status_code,
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            body=body,
        )


def _detail(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        if isinstance(detail, list):
            return "; ".join(_describe(item) for item in detail)
        return str(detail)
    return None


def _describe(item: object) -> str:
    if isinstance(item, dict):
        loc = ".".join(str(p) for p in item.get("loc", []))
        return f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", item))
    return str(item)
