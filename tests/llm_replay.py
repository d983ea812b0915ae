"""A replay server on 127.0.0.1 for the provider SDKs: it answers each request with the next
scripted reply (JSON, SSE or NDJSON, recorded-shape bodies from tests/llm_recordings.py).

Point an SDK client's base URL at `ReplayServer.url`; the SDK's own response and stream classes
then parse real HTTP. `cut=True` announces a longer body than it sends and drops the connection,
as a network failure mid-stream does.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200
    cut: bool = False

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Reply:
        """A JSON body."""
        return cls(json.dumps(payload).encode(), status=status)

    @classmethod
    def sse(
        cls, events: list[tuple[str | None, Any]], *, done: bool = False, cut: bool = False
    ) -> Reply:
        """Server-sent events: (event name or None, data); OpenAI's `[DONE]` if `done`."""
        lines = []
        for name, data in events:
            if name is not None:
                lines.append(f"event: {name}\n")
            lines.append(f"data: {json.dumps(data)}\n\n")
        if done:
            lines.append("data: [DONE]\n\n")
        return cls("".join(lines).encode(), "text/event-stream", cut=cut)

    @classmethod
    def ndjson(cls, objects: list[Any], *, cut: bool = False) -> Reply:
        """Newline-delimited JSON (Ollama's streams)."""
        body = "".join(json.dumps(o) + "\n" for o in objects).encode()
        return cls(body, "application/x-ndjson", cut=cut)


@dataclass
class Request:
    """What a client sent."""

    method: str
    path: str
    body: Any


@dataclass
class ReplayServer:
    """Scripted replies in order; every request is recorded."""

    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                server.requests.append(Request(self.command, self.path, body))
                reply = server.replies.popleft() if server.replies else Reply.json({}, 599)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                extra = 4096 if reply.cut else 0
                self.send_header("Content-Length", str(len(reply.body) + extra))
                if reply.cut:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()
                if reply.cut:
                    self.close_connection = True

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>"""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, *replies: Reply) -> ReplayServer:
        """Script the next replies."""
        self.replies.extend(replies)
        return self

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
