"""A real HTTP server on 127.0.0.1 that speaks Telemetry API v1 and can be told to misbehave.

Tests script replies (status, headers, body, delay, dropped connection) one request at a time;
once the script runs out it answers like a healthy server. Every request is recorded.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer; `json_body=None` with a 2xx status answers as a healthy server."""

    status: int = 202
    json_body: Any = None
    raw_body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    hang: bool = False
    """Read the request, never answer (until the server shuts down)."""
    trickle: float = 0.0
    """Send the answer one byte at a time, this many seconds apart (each read stays short)."""


@dataclass
class Recorded:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float | None = None
    client_port: int | None = None

    def json(self) -> Any:
        return json.loads(self.body)


class FaultServer:
    """Threaded HTTP server with a reply script; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.stored_events: dict[str, dict[str, Any]] = {}
        self.chaos: Callable[[], Reply | None] | None = None
        """Once the script runs out, asked for each request's reply (None: answer healthily)."""
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        # A client that gives up mid-answer is expected here: no tracebacks for broken pipes.
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def event_posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/events/batch"]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self) -> Reply | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self.chaos() if self.chaos is not None else None

    def _healthy(self, path: str, payload: Any) -> tuple[int, Any]:
        if path == "/v1/events/batch":
            results = []
            for event in payload.get("events", []):
                eid = event["event_id"]
                with self._lock:
                    duplicate = eid in self.stored_events
                    self.stored_events.setdefault(eid, event)
                if duplicate:
                    results.append(
                        {"event_id": eid, "status": "rejected", "error": "duplicate event_id"}
                    )
                else:
                    results.append({"event_id": eid, "status": "accepted", "error": None})
            accepted = sum(r["status"] == "accepted" for r in results)
            body = {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
            return 202, body
        if path == "/v1/predictions/batch":
            none = {
                "prediction": None,
                "metadata": {
                    "sample_size": 0,
                    "fallback_level": -1,
                    "confidence": "none",
                    "last_updated": None,
                    "dimensions_matched": None,
                    "fallback_note": None,
                    "cache_hit": False,
                },
            }
            return 200, {"results": [none for _ in payload.get("queries", [])]}
        return 404, {"detail": "not found"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with server._lock:
                    server.requests.append(
                        Recorded(
                            "POST",
                            self.path,
                            dict(self.headers.items()),
                            body,
                            received_at=time.monotonic(),
                            client_port=self.client_address[1],
                        )
                    )
                reply = server._next()
                if reply is not None and reply.hang:
                    server._closing.wait()
                    return
                if reply is not None and reply.delay:
                    time.sleep(reply.delay)
                if reply is not None and reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    self.close_connection = True
                    return
                status, payload = 202, None
                if reply is None or (reply.json_body is None and reply.raw_body is None):
                    if reply is None or 200 <= reply.status < 300:
                        status, payload = server._healthy(self.path, json.loads(body or b"{}"))
                    else:
                        status, payload = reply.status, {"detail": f"scripted {reply.status}"}
                else:
                    status, payload = reply.status, reply.json_body
                raw = (
                    reply.raw_body
                    if reply is not None and reply.raw_body is not None
                    else json.dumps(payload).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (reply.headers if reply else {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if reply is not None and reply.trickle:
                    for index in range(len(raw)):
                        if server._closing.wait(reply.trickle):
                            return
                        self.wfile.write(raw[index : index + 1])
                        self.wfile.flush()
                    return
                self.wfile.write(raw)

        return Handler
