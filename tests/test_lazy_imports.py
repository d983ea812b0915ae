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
