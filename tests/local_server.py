"""Start the real local server (`mosaicstack_telemetry.server`) for tests, with known credentials.

Use the `local_server` fixture (tests/conftest.py) for a running server on a free 127.0.0.1 port
with a temporary database, or `start_local_server(...)` for a custom config or a given database
(a restart test starts a second one on the first one's `db_path`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mosaicstack_telemetry.server import BackgroundServer, ServerConfig, StoreStats
from tests.factories import API_KEY, INSTANCE_ID


@dataclass
class LocalServer:
    """A running local server: its URL, the credentials it accepts, and its database."""

    url: str
    api_key: str = field(repr=False)
    instance_id: str
    db_path: Path
    server: BackgroundServer

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header for `api_key`."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def stats(self) -> StoreStats:
        """Events stored, duplicates rejected and keys registered, read from the database."""
        return self.server.store.stats()

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        """POST JSON with this server's key (override with headers=...)."""
        kwargs.setdefault("headers", self.headers)
        return httpx.post(self.url + path, json=body, timeout=10.0, **kwargs)

    def submit(self, events: list[dict[str, Any]]) -> httpx.Response:
        """POST /v1/events/batch, in batches of 100; returns the last response."""
        response = None
        for start in range(0, len(events), 100):
            response = self.post("/v1/events/batch", {"events": events[start : start + 100]})
            assert response.status_code == 202, response.text
        assert response is not None
        return response

    def predict(self, *queries: dict[str, Any]) -> list[dict[str, Any]]:
        """POST /v1/predictions/batch; the `results` list."""
        response = self.post("/v1/predictions/batch", {"queries": list(queries)})
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def stop(self) -> None:
        """Stop the server and close its database."""
        self.server.stop()


def start_local_server(
    db_path: Path,
    config: ServerConfig | None = None,
    api_key: str = API_KEY,
    instance_id: str = INSTANCE_ID,
) -> LocalServer:
    """Start a server on a free 127.0.0.1 port over `db_path`, accepting `api_key`."""
    server = BackgroundServer(db_path, [(api_key, instance_id)], config).start()
    return LocalServer(server.url, api_key, instance_id, db_path, server)
