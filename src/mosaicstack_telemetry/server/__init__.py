"""The local Telemetry API v1 server (extra `mosaicstack-telemetry[server]`).

A Starlette app served by uvicorn, storing events in SQLite. Not imported by
`import mosaicstack_telemetry`: only `mosaic-telemetry serve`, tests and tools load it.
"""

from ._app import create_app
from ._config import DEFAULT_MAX_BODY_BYTES, ServerConfig
from ._credentials import Credentials, create_if_first_start, register
from ._predict import FALLBACK_ORDER, MIN_SAMPLES, predict
from ._runner import BackgroundServer, bind_socket, serve, url_for
from ._store import Store, StoreStats

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "FALLBACK_ORDER",
    "MIN_SAMPLES",
    "BackgroundServer",
    "Credentials",
    "ServerConfig",
    "Store",
    "StoreStats",
    "bind_socket",
    "create_app",
    "create_if_first_start",
    "predict",
    "register",
    "serve",
    "url_for",
]
