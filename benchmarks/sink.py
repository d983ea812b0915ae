"""A fast event sink for the benchmark: a minimal HTTP/1.1 server on 127.0.0.1 in its own process.

It speaks just enough of Telemetry API v1 for the throughput figures: every
`POST /v1/events/batch` is parsed as JSON, its events are counted (and checked to carry every
field of the schema), and it answers `202` with a valid BatchEventResponse that gives counts and
an empty `results` list. `GET /stats` returns the counters, `POST /reset` clears them.

Run by benchmarks/run.py as `python benchmarks/sink.py FIELD,FIELD,...`: it prints its port on
the first line of stdout and exits when stdin is closed (or after MAX_LIFETIME seconds).
"""

from __future__ import annotations

import json
import socketserver
import sys
import threading

MAX_LIFETIME = 900.0  # seconds; a safety net if the parent never closes stdin
MAX_REQUESTS_PER_CONNECTION = 1_000_000
MAX_HEADER_LINES = 100


class Counters:
    def __init__(self, fields: frozenset[str]) -> None:
        self.fields = fields
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.events = 0
        self.malformed = 0
        self.event_ids: set[str] = set()

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                "requests": self.requests,
                "events": self.events,
                "unique_event_ids": len(self.event_ids),
                "malformed": self.malformed,
            }


def _reply(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def make_handler(counters: Counters) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                request_line = self.rfile.readline(65536)
                if not request_line:
                    return  # the client closed the keep-alive connection
                length = 0
                for _ in range(MAX_HEADER_LINES):
                    line = self.rfile.readline(65536)
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = self.rfile.read(length) if length else b""
                self.wfile.write(self._answer(request_line, body))

        def _answer(self, request_line: bytes, body: bytes) -> bytes:
            method, path = request_line.split()[:2]
            if method == b"POST" and path == b"/v1/events/batch":
                events = json.loads(body)["events"]
                ids = [event["event_id"] for event in events]
                bad = sum(1 for event in events if event.keys() != counters.fields)
                with counters.lock:
                    counters.requests += 1
                    counters.events += len(events)
                    counters.malformed += bad
                    counters.event_ids.update(ids)
                answer = {"accepted": len(events), "rejected": 0, "results": []}
                return _reply("202 Accepted", json.dumps(answer).encode())
            if method == b"GET" and path == b"/stats":
                return _reply("200 OK", json.dumps(counters.snapshot()).encode())
            if method == b"POST" and path == b"/reset":
                with counters.lock:
                    counters.reset()
                return _reply("200 OK", b"{}")
            return _reply("404 Not Found", b'{"detail": "not found"}')

    return Handler


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    fields = frozenset(sys.argv[1].split(",")) if len(sys.argv) > 1 else frozenset()
    counters = Counters(fields)
    server = Server(("127.0.0.1", 0), make_handler(counters))
    print(server.server_address[1], flush=True)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    # Exit when the parent closes our stdin (or dies), or after MAX_LIFETIME at the latest.
    watchdog = threading.Thread(target=sys.stdin.read, daemon=True)
    watchdog.start()
    watchdog.join(MAX_LIFETIME)
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
