"""A fast event sink for the benchmark: a minimal HTTP/1.1 server on 127.0.0.1 in its own process.

It speaks just enough of Telemetry API v1 for the throughput figures. Every
`POST /v1/events/batch` is answered `202 Accepted` with a valid BatchEventResponse (counts and an
empty `results` list) as soon as its body has arrived, the way a server that queues batches for
later processing answers; the accepted count is the number of `"event_id":` keys in the body
(JSON escapes quotes inside strings, so only keys match). The bodies are kept, and checked when
`GET /stats` asks for the counters, after the timed run: each is parsed as JSON, its events
counted, checked to carry every field of the schema and to match the count answered, and their
event_ids collected. `POST /reset` clears everything.

With `--parse-first` it answers only after parsing the body (the count answered is then the
number of events in the parsed JSON): a slower server, for comparison.

Run by benchmarks/run.py as `python benchmarks/sink.py FIELD,FIELD,... [--parse-first]`: it
prints its port on the first line of stdout and exits when stdin is closed (or after
MAX_LIFETIME seconds).
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
        self.acknowledged = 0
        self.bodies: list[tuple[bytes, int]] = []

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            bodies, acknowledged = list(self.bodies), self.acknowledged
        events = malformed = 0
        event_ids: set[str] = set()
        for body, answered in bodies:
            try:
                batch = json.loads(body)["events"]
                event_ids.update(event["event_id"] for event in batch)
                malformed += sum(1 for event in batch if event.keys() != self.fields)
            except (ValueError, KeyError, TypeError, AttributeError):
                batch, malformed = [], malformed + max(1, answered)
            events += len(batch)
            malformed += len(batch) != answered
        return {
            "requests": len(bodies),
            "events": events,
            "acknowledged": acknowledged,
            "unique_event_ids": len(event_ids),
            "malformed": malformed,
        }


def _reply(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def make_handler(counters: Counters, parse_first: bool) -> type[socketserver.StreamRequestHandler]:
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
                method, path = request_line.split()[:2]
                if method == b"POST" and path == b"/v1/events/batch":
                    if parse_first:
                        count = len(json.loads(body)["events"])
                    else:
                        count = body.count(b'"event_id":')
                    with counters.lock:
                        counters.acknowledged += count
                        counters.bodies.append((body, count))
                    answer = {"accepted": count, "rejected": 0, "results": []}
                    self.wfile.write(_reply("202 Accepted", json.dumps(answer).encode()))
                else:
                    self.wfile.write(self._answer(method, path))

        def _answer(self, method: bytes, path: bytes) -> bytes:
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
    server = Server(("127.0.0.1", 0), make_handler(counters, "--parse-first" in sys.argv[2:]))
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
