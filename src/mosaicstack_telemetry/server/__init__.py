"""The local Telemetry API v1 server (extra `mosaicstack-telemetry[server]`).

A Starlette app served by uvicorn, storing events in SQLite. Not imported by
`import mosaicstack_telemetry`: only `mosaic-telemetry serve`, tests and tools load it.
"""

from ._app import create_app
from ._config import DEFAULT_MAX_BODY_BYTES, ServerConfig
from ._credentials import (
    Credentials,
    check_credentials,
    create_if_first_start,
    create_key,
    register,
)
from ._predict import FALLBACK_ORDER, MIN_SAMPLES, predict
from ._runner import BackgroundServer, bind_socket, serve, url_for
from ._store import KeyRecord, Store, StoreError, StoreStats, open_store

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "FALLBACK_ORDER",
    "MIN_SAMPLES",
    "BackgroundServer",
    "Credentials",
    "KeyRecord",
    "ServerConfig",
    "Store",
    "StoreError",
    "StoreStats",
    "bind_socket",
    "check_credentials",
    "create_app",
    "create_if_first_start",
    "create_key",
    "open_store",
    "predict",
    "register",
    "serve",
    "url_for",
]
