"""An HTTP proxy on 127.0.0.1 in front of the real local server: counts what reaches it, and can
go down (stop listening: connections are refused), come back on the same port, or hang.

Prediction tests need the server's view ("how many requests for this query?") and a server that
disappears and returns at the same address, which the local server alone cannot give.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class CountingProxy:
    """Forwards POSTs to `upstream`; a context manager."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.bodies: list[dict[str, Any]] = []  # every POST body that reached the proxy
        self.hanging = threading.Event()  # set: hold requests (until released or closed)
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._http = httpx.Client(timeout=30.0)
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def prediction_queries(self) -> Counter[tuple[str, str, str, str]]:
        """How many times each query was asked for."""
        with self._lock:
            bodies = list(self.bodies)
        return Counter(
            (q["task_type"], q["model"], q["provider"], q["complexity"])
            for body in bodies
            for q in body.get("queries", [])
        )

    def prediction_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [b for b in self.bodies if "queries" in b]

    def up(self) -> None:
        """Listen (again, on the same port)."""
        httpd = ThreadingHTTPServer(("127.0.0.1", self._port), self._handler())
        httpd.daemon_threads = True
        self._port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def down(self) -> None:
        """Stop listening: new connections are refused, as by a server that is down."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    def release(self) -> None:
        """Let held requests go (they are answered by the upstream)."""
        self.hanging.clear()
        self._release.set()

    def __enter__(self) -> CountingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.down()
        self._http.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.server is not proxy._httpd:
                    # Down since this kept-alive connection was opened: close it unanswered.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with proxy._lock:
                    proxy.bodies.append(json.loads(body or b"{}"))
                if proxy.hanging.is_set():
                    proxy._release.wait(30.0)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "accept", "user-agent")
                }
                answer = proxy._http.post(proxy.upstream + self.path, content=body, headers=headers)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() in ("content-type", "retry-after"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        return Handler
