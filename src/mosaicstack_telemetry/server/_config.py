"""Settings of the local server, with the documented defaults."""

from __future__ import annotations

from dataclasses import dataclass

# 1 MiB: a full batch of 100 events is about 100 KB, so this leaves tenfold headroom while
# bounding what one request can make the server hold in memory.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ServerConfig:
    """Limits of the local server; `rate_limit_per_minute=None` turns rate limiting off."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_limit_per_minute: int | None = None
