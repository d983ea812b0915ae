"""Chaos: 8 threads, 20,000 events, a server failing 30% of requests, two forks, SIGTERM, a spool
and a second process; every tracked event must reach the server.

The first process tracks from 8 threads while its main thread forks twice (each child tracks
events of its own and exits normally), then it gets SIGTERM: what it could not deliver within its
shutdown deadline is spooled. A second process (`mosaic-telemetry spool flush`) delivers the spool.
The server must hold exactly the tracked event ids, none missing.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.factories import API_KEY, INSTANCE_ID
from tests.fault_server import FaultServer, Reply

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX processes"),
    pytest.mark.slow,
]

THREADS = 8
PER_THREAD = 2_500
CHILD_EVENTS = 100

PROGRAM = """
import os, sys, threading, time
from mosaicstack_telemetry import EventBuilder, TelemetryClient, TelemetryConfig

out = sys.argv[1]
client = TelemetryClient(TelemetryConfig(
    server_url={url!r}, api_key={key!r}, instance_id={iid!r},
    submit_interval_seconds=0.2, request_timeout_seconds=1.0, max_retries=3,
    shutdown_timeout_seconds=2.0, max_queue_size=2000, spool_dir=os.path.join(out, "spool"),
    spool_max_bytes=200_000_000,
))
builder = EventBuilder({iid!r}).model("chaos")
chunks = [[builder.duration_ms(i).build() for i in range({per_thread})] for _ in range({threads})]
with open(os.path.join(out, "ids-main.txt"), "w") as f:
    f.write("\\n".join(str(e.event_id) for chunk in chunks for e in chunk))
client.start()
go = threading.Barrier({threads} + 1)
def work(chunk):
    go.wait()
    for event in chunk:
        client.track(event)
threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
for t in threads:
    t.start()
go.wait()
children = []
for n in range(2):
    time.sleep(0.05)
    pid = os.fork()
    if pid == 0:
        mine = [builder.duration_ms(i).build() for i in range({child_events})]
        with open(os.path.join(out, f"ids-child-{{n}}.txt"), "w") as f:
            f.write("\\n".join(str(e.event_id) for e in mine))
        for event in mine:
            client.track(event)
        sys.exit(0)  # a normal exit: the exit flush delivers or spools
    children.append(pid)
for t in threads:
    t.join()
for pid in children:
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
time.sleep(1.0)
print("ready", flush=True)
time.sleep(60)
"""


def _chaos(rng: random.Random) -> Reply | None:
    roll = rng.random()
    if roll >= 0.3:
        return None  # a healthy answer
    return rng.choice(
        [
            Reply(500),
            Reply(503),
            Reply(drop=True),  # connection reset
            Reply(202, delay=1.5),  # longer than the client's 1 s timeout
            Reply(429, headers={"Retry-After": "1"}),
        ]
    )


def test_nothing_is_lost(fault_server: FaultServer, tmp_path: Path) -> None:
    rng = random.Random(8)
    fault_server.chaos = lambda: _chaos(rng)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_TELEMETRY_")},
        "PYTHONPATH": str(ROOT / "src"),
    }
    program = textwrap.dedent(PROGRAM).format(
        url=fault_server.url,
        key=API_KEY,
        iid=INSTANCE_ID,
        threads=THREADS,
        per_thread=PER_THREAD,
        child_events=CHILD_EVENTS,
    )
    first = subprocess.Popen(
        [sys.executable, "-c", program, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert first.stdout is not None
    ready = first.stdout.readline().strip()
    assert ready == "ready", first.communicate(timeout=30)[1][-3000:]
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=30)
    assert first.returncode == -signal.SIGTERM, err[-3000:]

    fault_server.chaos = None  # the second process meets a healthy server
    second = subprocess.run(
        [sys.executable, "-m", "mosaicstack_telemetry._cli", "spool", "flush", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=90,
        env={
            **env,
            "MOSAIC_TELEMETRY_SERVER_URL": fault_server.url,
            "MOSAIC_TELEMETRY_API_KEY": API_KEY,
            "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
            "MOSAIC_TELEMETRY_SPOOL_DIR": str(tmp_path / "spool"),
        },
    )
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]

    tracked: set[str] = set()
    for name in ["ids-main.txt", "ids-child-0.txt", "ids-child-1.txt"]:
        tracked.update((tmp_path / name).read_text().split())
    assert len(tracked) == THREADS * PER_THREAD + 2 * CHILD_EVENTS
    stored = set(fault_server.stored_events)
    missing = tracked - stored
    assert not missing, f"{len(missing)} events missing"
    assert stored == tracked
