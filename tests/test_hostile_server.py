"""Hostile input at the HTTP layer: the local server's limits, and the client's bounded reads.

Real servers on 127.0.0.1: the local server (`local_server`) and the scripted fault server.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mosaicstack_telemetry import TelemetryClient, TelemetryConfig
from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated.models import BatchEventRequest
from mosaicstack_telemetry._models import TaskCompletionEvent
from mosaicstack_telemetry._response import MAX_RESPONSE_BYTES
from tests.factories import API_KEY, INSTANCE_ID, event_payload
from tests.fault_server import FaultServer, Reply
from tests.local_server import LocalServer

EVENTS = "/v1/events/batch"
PREDICTIONS = "/v1/predictions/batch"


def _post(server: LocalServer, path: str, raw: bytes, content_type: str | None) -> httpx.Response:
    headers = dict(server.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return httpx.post(server.url + path, content=raw, headers=headers, timeout=30.0)


def _assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    return detail


@pytest.mark.parametrize("path", [EVENTS, PREDICTIONS])
def test_deeply_nested_json_under_the_size_limit_is_400_not_500(
    local_server: LocalServer, path: str
) -> None:
    raw = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert len(raw) < 1024 * 1024
    detail = _assert_error(_post(local_server, path, raw, "application/json"), 400)
    assert "nested deeper than" in detail


def test_moderately_nested_json_is_400_too(local_server: LocalServer) -> None:
    event = event_payload(language=json.loads("[" * 40 + "]" * 40))
    raw = json.dumps({"events": [event]}).encode()
    detail = _assert_error(_post(local_server, EVENTS, raw, "application/json"), 400)
    assert "nested deeper than 32 levels" in detail


@pytest.mark.parametrize("where", ["value", "key"])
def test_a_lone_surrogate_is_400_not_422(local_server: LocalServer, where: str) -> None:
    event = json.dumps(event_payload())
    if where == "value":
        event = event.replace('"typescript"', '"type\\ud800script"')
    else:
        event = event[:-1] + ', "\\udfff": 1}'
    raw = ('{"events": [' + event + "]}").encode()
    detail = _assert_error(_post(local_server, EVENTS, raw, "application/json"), 400)
    assert "lone surrogate" in detail
    assert local_server.stats().events == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
@pytest.mark.parametrize("path", [EVENTS, PREDICTIONS])
def test_a_body_that_is_not_declared_json_is_415(
    local_server: LocalServer, path: str, content_type: str | None
) -> None:
    body = {"events": [event_payload()]} if path == EVENTS else {"queries": []}
    raw = json.dumps(body).encode()
    detail = _assert_error(_post(local_server, path, raw, content_type), 415)
    assert "application/json" in detail
    assert local_server.stats().events == 0


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.x+json"],
)
def test_json_media_types_with_parameters_are_accepted(
    local_server: LocalServer, content_type: str
) -> None:
    raw = json.dumps({"events": [event_payload()]}).encode()
    response = _post(local_server, EVENTS, raw, content_type)
    assert response.status_code == 202, response.text
    assert local_server.stats().events == 1


def test_unauthenticated_requests_are_refused_before_the_media_type(
    local_server: LocalServer,
) -> None:
    response = httpx.post(
        local_server.url + EVENTS, content=b"x=1", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 401


# --- the client reads at most a bounded body -------------------------------------------------


def _batch() -> BatchEventRequest:
    return BatchEventRequest(events=[TaskCompletionEvent(**event_payload())])


def test_a_huge_2xx_body_is_not_read_whole(fault_server: FaultServer) -> None:
    huge = b'{"accepted": 1, "rejected": 0, "results": [' + b" " * (20 * 1024 * 1024) + b"]}"
    fault_server.script(Reply(status=202, raw_body=huge))
    with (
        httpx.Client(base_url=fault_server.url, timeout=30.0) as http,
        pytest.raises(ApiError) as caught,
    ):
        endpoints.submit_events_batch(http, _batch())
    assert caught.value.status_code == 202
    assert f"exceeds the {MAX_RESPONSE_BYTES}-byte limit" in caught.value.message
    # The client hung up: far less than the 20 MB went out (the rest is socket buffers).
    assert fault_server.body_bytes_written < 16 * 1024 * 1024


async def test_a_huge_body_is_not_read_whole_by_the_async_client(fault_server: FaultServer) -> None:
    huge = b"x" * (20 * 1024 * 1024)
    fault_server.script(Reply(status=500, raw_body=huge))
    async with httpx.AsyncClient(base_url=fault_server.url, timeout=30.0) as http:
        with pytest.raises(ApiError) as caught:
            await endpoints.submit_events_batch_async(http, _batch())
    assert caught.value.status_code == 500
    assert "exceeds" in caught.value.message
    assert fault_server.body_bytes_written < 16 * 1024 * 1024


def test_a_body_at_the_limit_is_read(fault_server: FaultServer) -> None:
    body: dict[str, Any] = {"accepted": 1, "rejected": 0, "results": []}
    raw = json.dumps(body).encode()
    raw = raw[:-1] + b" " * (MAX_RESPONSE_BYTES - len(raw)) + b"}"
    assert len(raw) == MAX_RESPONSE_BYTES
    fault_server.script(Reply(status=202, raw_body=raw))
    with httpx.Client(base_url=fault_server.url, timeout=30.0) as http:
        assert endpoints.submit_events_batch(http, _batch()).accepted == 1


def test_the_client_keeps_events_answered_with_a_huge_body(fault_server: FaultServer) -> None:
    huge = b"[" + b" " * (20 * 1024 * 1024) + b"]"
    fault_server.script(*[Reply(status=202, raw_body=huge)] * 2)
    config = TelemetryConfig(
        server_url=fault_server.url,
        api_key=API_KEY,
        instance_id=INSTANCE_ID,
        max_retries=1,
        request_timeout_seconds=30.0,
    )
    client = TelemetryClient(config)
    client.track(TaskCompletionEvent(**event_payload()))
    client.start()
    client.stop()
    stats = client.stats
    # Two huge answers (retried, then kept), then the final flush delivers it.
    assert stats.delivered + client.queue_size == 1
    assert stats.dropped == 0
