"""A host that exits without stop() still delivers what it tracked (an atexit flush)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.factories import API_KEY, INSTANCE_ID
from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """
from mosaicstack_telemetry import EventBuilder, TelemetryClient, TelemetryConfig
config = TelemetryConfig(
    server_url={url!r}, api_key={key!r}, instance_id={iid!r}, submit_interval_seconds=3600
)
client = TelemetryClient(config)
events = [EventBuilder(config.instance_id).duration_ms(i).build() for i in range(3)]
"""

PROGRAMS = {
    "thread": """
client.start()
for event in events:
    client.track(event)
print(client.queue_size)
""",
    "asyncio": """
import asyncio

async def main():
    await client.start_async()
    for event in events:
        client.track(event)
    print(client.queue_size)

asyncio.run(main())
""",
    "stopped": """
client.start()
client.stop()
for event in events:
    client.track(event)
print(client.queue_size)
""",
}


def _run(server: FaultServer, program: str) -> subprocess.CompletedProcess[str]:
    code = PRELUDE.format(url=server.url, key=API_KEY, iid=INSTANCE_ID) + textwrap.dedent(program)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize("mode", ["thread", "asyncio"])
def test_exit_without_stop_delivers_the_queue(fault_server: FaultServer, mode: str) -> None:
    result = _run(fault_server, PROGRAMS[mode])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3"]  # still queued when the program ended
    assert len(fault_server.stored_events) == 3
    assert len(fault_server.event_posts()) == 1


def test_a_stopped_client_does_not_flush_at_exit(fault_server: FaultServer) -> None:
    # stop() removes the hook: events tracked after it stay local, as before the change.
    result = _run(fault_server, PROGRAMS["stopped"])
    assert result.returncode == 0, result.stderr
    assert fault_server.event_posts() == []
