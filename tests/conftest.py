from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fault_server import FaultServer
from tests.local_server import LocalServer, start_local_server


@pytest.fixture(autouse=True)
def _no_do_not_track(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's DO_NOT_TRACK=1 would turn the SDK off in every test."""
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A real Telemetry API v1 server on 127.0.0.1 whose replies a test can script."""
    with FaultServer() as server:
        yield server


# --- Local server (mosaicstack_telemetry.server) -------------------------------------------


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LocalServer]:
    """The real local Telemetry API v1 server on a free 127.0.0.1 port with a temporary database.

    Yields a `tests.local_server.LocalServer`: `.url`, `.api_key`, `.instance_id` (the values of
    `tests.factories.API_KEY` / `INSTANCE_ID`), `.headers`, `.stats()`, `.db_path`.
    """
    server = start_local_server(tmp_path / "telemetry.db")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _private_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-user cache directory (persisted predictions) is a temporary one in every test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("MOSAIC_TELEMETRY_CACHE_DIR", raising=False)
