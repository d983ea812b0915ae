from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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


# --- Hypothesis profiles (tests/test_properties_*.py) ------------------------------------------
# "ci" (the default): derandomized and without an example database, so every run is the same
# bounded set of cases; "dev" explores new cases each run and remembers failures;
# "matrix" (make check-matrix) runs a fifth of the cases on the other interpreters.
# Pick one with HYPOTHESIS_PROFILE=dev. Per-surface case counts live in tests/properties.py.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("matrix", parent=settings.get_profile("ci"))
settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _private_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The per-user cache directory (persisted predictions) is a temporary one in every test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("MOSAIC_TELEMETRY_CACHE_DIR", raising=False)
