"""Contract test: schemathesis generates requests from the spec and checks every response of
the local server against it (status codes, headers, bodies, no 5xx, invalid input rejected).

Bounded and deterministic: a fixed number of examples per operation, derandomized, no example
database, so it runs in seconds on two cores and the same inputs run every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.local_server import LocalServer, start_local_server

SPEC = Path(__file__).resolve().parent.parent / "schema" / "telemetry-api-v1.yaml"
schema = schemathesis.openapi.from_path(SPEC)


@pytest.fixture(scope="module")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One server for the whole run (no rate limit; the default body limit)."""
    server = start_local_server(tmp_path_factory.mktemp("contract") / "contract.db")
    yield server
    server.stop()


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return isinstance(value, str)


def _own_instance(body: Any, instance_id: str) -> None:
    """Point generated events at the key's instance, so valid batches are accepted (not 403).

    Only a valid uuid is replaced, by another valid one: a case generated to be invalid stays
    invalid.
    """
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return
    for event in body["events"]:
        if isinstance(event, dict) and _is_uuid(event.get("instance_id")):
            event["instance_id"] = instance_id


@schema.parametrize()
@settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_server_conforms_to_the_spec(case: schemathesis.Case, contract_server: LocalServer) -> None:
    _own_instance(case.body, contract_server.instance_id)
    case.call_and_validate(base_url=contract_server.url, headers=contract_server.headers)


# --- hostile input the generator does not produce: each answer must still match the spec -------

_DEEP = '{"events": ' + "[" * 50_000 + "]" * 50_000 + "}"
_SURROGATE = '{"events": [{"model": "\\ud800"}]}'


@pytest.mark.parametrize(
    ("path", "body", "media_type", "status"),
    [
        ("/v1/events/batch", _DEEP, "application/json", 400),
        ("/v1/predictions/batch", _DEEP, "application/json", 400),
        ("/v1/events/batch", _SURROGATE, "application/json", 400),
        ("/v1/events/batch", '{"events": []}', "text/plain", 415),
        ("/v1/predictions/batch", "queries=1", "application/x-www-form-urlencoded", 415),
        (
            "/v1/events/batch",
            '{"events": ["' + "x" * (1024 * 1024) + '"]}',
            "application/json",
            413,
        ),
    ],
)
def test_hostile_bodies_get_documented_4xx_answers(
    contract_server: LocalServer, path: str, body: str, media_type: str, status: int
) -> None:
    operation = schema[path]["POST"]
    headers = {**contract_server.headers, "Content-Type": media_type}
    case = operation.Case(body=body.encode(), media_type=media_type, headers=headers)
    response = case.call_and_validate(base_url=contract_server.url)
    assert response.status_code == status, response.text
