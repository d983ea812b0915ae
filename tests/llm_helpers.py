"""Fixtures for the LLM tests: a replay server for the SDKs (`replay`), a started telemetry
client for the local server (`telemetry`); import `replay_fixture` and `telemetry_fixture`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mosaicstack_telemetry import TelemetryClient, TelemetryConfig
from tests.llm_replay import ReplayServer
from tests.local_server import LocalServer


@pytest.fixture(name="replay")
def replay_fixture() -> Iterator[ReplayServer]:
    """The provider replay server on a free 127.0.0.1 port."""
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(name="telemetry")
def telemetry_fixture(local_server: LocalServer) -> Iterator[TelemetryClient]:
    """A started client that sends to the local server; `delivered()` stops it."""
    client = TelemetryClient(
        TelemetryConfig(
            server_url=local_server.url,
            api_key=local_server.api_key,
            instance_id=local_server.instance_id,
            max_retries=1,
        )
    )
    client.start()
    try:
        yield client
    finally:
        client.stop()


def delivered(client: TelemetryClient, server: LocalServer) -> list[dict[str, Any]]:
    """Stop the client (its final flush delivers everything) and read what the server stored."""
    client.stop()
    assert client.queue_size == 0
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute("SELECT payload FROM events ORDER BY rowid").fetchall()
    return [json.loads(row[0]) for row in rows]


def only_event(client: TelemetryClient, server: LocalServer) -> dict[str, Any]:
    """The one event the server stored."""
    events = delivered(client, server)
    assert len(events) == 1, events
    return events[0]
