"""Running the app under uvicorn: in the foreground (the CLI) or on a background thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from ._app import create_app
from ._config import ServerConfig
from ._credentials import Credentials, register
from ._store import Store


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free port, read back from `getsockname()`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def url_for(sock: socket.socket) -> str:
    """The base URL a client on this machine uses to reach `sock`."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn(store: Store, config: ServerConfig, log_level: str) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(
            create_app(store, config),
            log_level=log_level,
            access_log=log_level in ("debug", "info"),
            lifespan="off",
            server_header=False,
        )
    )


def serve(store: Store, sock: socket.socket, config: ServerConfig, log_level: str = "info") -> None:
    """Serve on `sock` until interrupted (SIGINT/SIGTERM); blocks."""
    _uvicorn(store, config, log_level).run(sockets=[sock])


class BackgroundServer:
    """The local server on a free 127.0.0.1 port in a daemon thread; a context manager."""

    def __init__(
        self,
        db_path: str | Path,
        credentials: list[tuple[str, str]],
        config: ServerConfig | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.store = Store(db_path)
        self.credentials: list[Credentials] = [
            register(self.store, key, instance) for key, instance in credentials
        ]
        self._sock = bind_socket(host, 0)
        self.url = url_for(self._sock)
        self._server = _uvicorn(self.store, config or ServerConfig(), "warning")
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        """Start serving; returns once uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("local server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut down uvicorn, then close the socket and the database."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10.0)
        self._sock.close()
        self.store.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
