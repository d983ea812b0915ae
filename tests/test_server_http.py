"""The local server over real HTTP (uvicorn on 127.0.0.1): auth, dedupe, persistence, limits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mosaicstack_telemetry.server import Credentials, ServerConfig
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.local_server import LocalServer, start_local_server

EVENTS = "/v1/events/batch"
PREDICTIONS = "/v1/predictions/batch"


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A server allowing 2 requests per minute per key and 2,000-byte bodies."""
    server = start_local_server(
        tmp_path / "limited.db", ServerConfig(max_body_bytes=2000, rate_limit_per_minute=2)
    )
    yield server
    server.stop()


# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [EVENTS, PREDICTIONS])
@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "missing"),
        ({"Authorization": f"Basic {API_KEY}"}, "malformed"),
        ({"Authorization": "Bearer"}, "malformed"),
        ({"Authorization": "Bearer " + "a" * 63}, "malformed"),
        ({"Authorization": "Bearer " + "g" * 64}, "malformed"),
    ],
    ids=["no-header", "basic-scheme", "no-token", "short-key", "non-hex-key"],
)
def test_missing_or_malformed_key_is_401(
    local_server: LocalServer, path: str, headers: dict[str, str], why: str
) -> None:
    body = {"events": [event_payload()]} if path == EVENTS else {"queries": [query_payload()]}
    response = local_server.post(path, body, headers=headers)
    assert response.status_code == 401
    assert why in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert local_server.stats().events == 0


@pytest.mark.parametrize("path", [EVENTS, PREDICTIONS])
def test_unknown_key_is_403(local_server: LocalServer, path: str) -> None:
    other = "b" * 64
    body = {"events": [event_payload()]} if path == EVENTS else {"queries": [query_payload()]}
    response = local_server.post(path, body, headers={"Authorization": f"Bearer {other}"})
    assert response.status_code == 403
    assert response.json() == {"detail": "unknown API key"}
    assert other not in response.text
    assert local_server.stats().events == 0


def test_event_of_another_instance_is_403_and_nothing_is_stored(
    local_server: LocalServer,
) -> None:
    foreign = str(uuid.uuid4())
    response = local_server.post(
        EVENTS, {"events": [event_payload(), event_payload(instance_id=foreign)]}
    )
    assert response.status_code == 403
    assert "events[1].instance_id" in response.json()["detail"]
    assert local_server.stats().events == 0


def test_key_is_bound_to_its_instance_only(tmp_path: Path) -> None:
    key_b, instance_b = "c" * 64, str(uuid.uuid4())
    server = start_local_server(tmp_path / "t.db")
    try:
        from mosaicstack_telemetry.server import register

        register(server.server.store, key_b, instance_b)
        as_b = {"Authorization": f"Bearer {key_b}"}
        own = server.post(EVENTS, {"events": [event_payload(instance_id=instance_b)]}, headers=as_b)
        assert own.status_code == 202
        theirs = server.post(EVENTS, {"events": [event_payload()]}, headers=as_b)
        assert theirs.status_code == 403
    finally:
        server.stop()


def test_key_is_case_insensitive_hex(local_server: LocalServer) -> None:
    upper = {"Authorization": f"Bearer {API_KEY.upper()}"}
    response = local_server.post(PREDICTIONS, {"queries": [query_payload()]}, headers=upper)
    assert response.status_code == 200


def test_credentials_repr_and_logs_never_show_the_key(
    local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert API_KEY not in repr(Credentials(API_KEY, INSTANCE_ID))
    with caplog.at_level(logging.DEBUG):
        local_server.post(EVENTS, {"events": [event_payload()]})
        local_server.post(EVENTS, {"events": [event_payload()]}, headers={"Authorization": "x"})
    assert API_KEY not in caplog.text


# --- storage --------------------------------------------------------------------------------


def test_accepts_and_answers_with_a_spec_batch_response(local_server: LocalServer) -> None:
    events = [event_payload(), event_payload()]
    response = local_server.post(EVENTS, {"events": events})
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "accepted": 2,
        "rejected": 0,
        "results": [
            {"event_id": e["event_id"], "status": "accepted", "error": None} for e in events
        ],
    }
    assert local_server.stats().events == 2


def test_duplicates_are_rejected_per_event_and_counted(local_server: LocalServer) -> None:
    first, second = event_payload(), event_payload()
    local_server.post(EVENTS, {"events": [first]})
    response = local_server.post(EVENTS, {"events": [first, second, second]})
    body = response.json()
    assert response.status_code == 202
    assert (body["accepted"], body["rejected"]) == (1, 2)
    statuses = [(r["event_id"], r["status"]) for r in body["results"]]
    assert statuses == [
        (first["event_id"], "rejected"),
        (second["event_id"], "accepted"),
        (second["event_id"], "rejected"),
    ]
    for result in (body["results"][0], body["results"][2]):
        assert result["error"].startswith("duplicate event_id ")
    stats = local_server.stats()
    assert (stats.events, stats.duplicates_rejected) == (2, 2)


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "persist.db"
    events = [event_payload(actual_input_tokens=1000 * (i + 1)) for i in range(12)]
    first = start_local_server(db)
    try:
        first.submit(events)
        first.post(EVENTS, {"events": [events[0]]})  # one duplicate, counted
        before = first.predict(query_payload())[0]
    finally:
        first.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(first.url + PREDICTIONS, json={}, timeout=2.0)

    second = start_local_server(db)
    try:
        assert second.url != ""
        assert second.stats().events == 12
        assert second.stats().duplicates_rejected == 1
        again = second.post(EVENTS, {"events": events[:3]}).json()
        assert again["rejected"] == 3
        after = second.predict(query_payload())[0]
        assert after["prediction"] == before["prediction"]
        assert after["metadata"]["sample_size"] == 12
    finally:
        second.stop()


def test_wal_mode_is_on(local_server: LocalServer) -> None:
    import sqlite3

    with sqlite3.connect(local_server.db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- limits and errors ----------------------------------------------------------------------


def test_body_over_limit_by_content_length_is_413(limited_server: LocalServer) -> None:
    big = {"events": [event_payload() for _ in range(3)]}
    response = limited_server.post(EVENTS, big)
    assert response.status_code == 413
    assert response.json() == {"detail": "request body exceeds the 2000-byte limit"}
    assert limited_server.stats().events == 0


def test_chunked_body_over_limit_is_413(limited_server: LocalServer) -> None:
    # A generator body is sent chunked, with no Content-Length: the server must count bytes.
    def chunks() -> Iterator[bytes]:
        yield b'{"events": ['
        for _ in range(30):
            yield b'"' + b"x" * 100 + b'",'
        yield b"1]}"

    response = httpx.post(
        limited_server.url + EVENTS,
        content=chunks(),
        headers={**limited_server.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_invalid_json_is_400(local_server: LocalServer) -> None:
    for raw in (b"{not json", b"[1, 2]", b""):
        response = httpx.post(
            local_server.url + EVENTS,
            content=raw,
            headers={**local_server.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
        assert isinstance(response.json()["detail"], str)


def test_422_names_each_field_and_why(local_server: LocalServer) -> None:
    bad = event_payload(task_type="painting", actual_input_tokens=-1, surprise=True)
    del bad["model"]
    response = local_server.post(EVENTS, {"events": [event_payload(), bad]})
    assert response.status_code == 422
    detail = {tuple(d["loc"]): (d["type"], d["msg"]) for d in response.json()["detail"]}
    assert detail[("body", "events", 1, "task_type")][0] == "enum"
    assert "'implementation'" in detail[("body", "events", 1, "task_type")][1]
    assert detail[("body", "events", 1, "actual_input_tokens")] == (
        "greater_than_equal",
        "Input should be greater than or equal to 0",
    )
    assert detail[("body", "events", 1, "model")] == ("missing", "Field required")
    assert detail[("body", "events", 1, "surprise")][0] == "extra_forbidden"
    assert len(detail) == 4
    assert local_server.stats().events == 0


def test_422_on_batch_size_and_predictions(local_server: LocalServer) -> None:
    empty = local_server.post(EVENTS, {"events": []}).json()["detail"]
    assert [(d["loc"], d["type"]) for d in empty] == [(["body", "events"], "too_short")]
    too_many = local_server.post(PREDICTIONS, {"queries": [query_payload()] * 51}).json()
    assert [(d["loc"], d["type"]) for d in too_many["detail"]] == [
        (["body", "queries"], "too_long")
    ]


def test_rate_limit_is_429_with_retry_after(limited_server: LocalServer) -> None:
    query = {"queries": [query_payload()]}
    assert limited_server.post(PREDICTIONS, query).status_code == 200
    assert limited_server.post(PREDICTIONS, query).status_code == 200
    response = limited_server.post(PREDICTIONS, query)
    assert response.status_code == 429
    # 2 per minute refills one request every 30 s.
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert "rate limit" in response.json()["detail"]


def test_rate_limit_is_per_key(limited_server: LocalServer) -> None:
    from mosaicstack_telemetry.server import register

    other_key = "d" * 64
    register(limited_server.server.store, other_key, INSTANCE_ID)
    query = {"queries": [query_payload()]}
    for _ in range(2):
        limited_server.post(PREDICTIONS, query)
    assert limited_server.post(PREDICTIONS, query).status_code == 429
    other = {"Authorization": f"Bearer {other_key}"}
    assert limited_server.post(PREDICTIONS, query, headers=other).status_code == 200


def test_unknown_route_and_method_answer_json(local_server: LocalServer) -> None:
    missing = httpx.post(local_server.url + "/v1/nope", headers=local_server.headers)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = httpx.get(local_server.url + EVENTS, headers=local_server.headers)
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("field", "value"),
    [("retry_count", "5"), ("retry_count", False), ("retry_count", 1.5), ("model", 7)],
)
def test_json_types_are_strict(local_server: LocalServer, field: str, value: object) -> None:
    response = local_server.post(EVENTS, {"events": [event_payload(**{field: value})]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "events", 0, field]


def test_integral_floats_are_integers_as_in_json_schema(local_server: LocalServer) -> None:
    response = local_server.post(EVENTS, {"events": [event_payload(retry_count=2.0)]})
    assert response.status_code == 202


def test_nan_is_not_json(local_server: LocalServer) -> None:
    raw = b'{"events": [{"context_utilization_final": NaN}]}'
    response = httpx.post(
        local_server.url + EVENTS,
        content=raw,
        headers={**local_server.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "NaN" in response.json()["detail"]
