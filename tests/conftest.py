from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fault_server import FaultServer


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A real Telemetry API v1 server on 127.0.0.1 whose replies a test can script."""
    with FaultServer() as server:
        yield server
