"""What a fresh interpreter loads: thread-driver users never import asyncio."""

from __future__ import annotations

import subprocess
import sys

SYNC_USE = """
import sys
import mosaicstack_telemetry as mt

config = mt.TelemetryConfig(
    server_url="http://127.0.0.1:9", api_key="0" * 64,
    instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", max_retries=0,
)
with mt.TelemetryClient(config) as client:
    client.track(mt.EventBuilder(instance_id=config.instance_id).build())
print("asyncio" in sys.modules)
"""

ASYNC_USE = """
import asyncio
import mosaicstack_telemetry as mt

async def main():
    config = mt.TelemetryConfig(
        server_url="http://127.0.0.1:9", api_key="0" * 64,
        instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", max_retries=0,
    )
    async with mt.TelemetryClient(config) as client:
        client.track(mt.EventBuilder(instance_id=config.instance_id).build())
        assert client.is_running
    assert not client.is_running
    print("stopped")

asyncio.run(main())
"""


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


def test_sync_client_never_imports_asyncio() -> None:
    assert _run(SYNC_USE) == "False"


def test_async_client_still_runs() -> None:
    assert _run(ASYNC_USE) == "stopped"


# The first event of a short-lived tool: nothing on this path needs HTTP, so httpx stays unloaded
# until start() (or a flush, or a prediction refresh). start() imports it on the host's own thread:
# a module half imported by an SDK thread would be visible in sys.modules, where some libraries
# look (openai checks there for httpx).
FIRST_EVENT = """
import sys
import threading
import mosaicstack_telemetry as mt

config = mt.TelemetryConfig(
    server_url="http://127.0.0.1:9", api_key="0" * 64,
    instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", max_retries=0,
    shutdown_timeout_seconds=0.5, flush_on_sigterm=False,
)
client = mt.TelemetryClient(config)
client.track(mt.EventBuilder(instance_id=config.instance_id).model("m").build())
print("after track:", sorted(m for m in ("httpx", "httpcore", "anyio") if m in sys.modules))

# Record which threads import httpx (or what it imports when a client is made).
importers = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name in ("httpx", "httpcore"):
            importers.append((name, threading.current_thread().name))
        return None

sys.meta_path.insert(0, Watch())
client.start()
client.stop()
print("imported by:", sorted(importers))
"""


def test_first_event_never_imports_httpx_and_no_sdk_thread_imports_it() -> None:
    lines = _run(FIRST_EVENT).splitlines()
    assert lines[0] == "after track: []"
    # start() loaded both on the host's thread, before the worker thread existed.
    assert lines[1] == "imported by: [('httpcore', 'MainThread'), ('httpx', 'MainThread')]"
