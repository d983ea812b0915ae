"""The generated endpoint stubs against a real HTTP server on 127.0.0.1, sync and async."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated import models as gen
from tests.factories import event_payload, query_payload
from tests.fault_server import FaultServer, Reply


def _batch(n: int = 2) -> gen.BatchEventRequest:
    return gen.BatchEventRequest(
        events=[gen.TaskCompletionEvent(**event_payload()) for _ in range(n)]
    )


Call = Callable[[FaultServer, Any], Awaitable[Any]]


async def _submit_sync(server: FaultServer, body: Any) -> Any:
    with httpx.Client(base_url=server.url) as client:
        return endpoints.submit_events_batch(client, body)


async def _submit_async(server: FaultServer, body: Any) -> Any:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await endpoints.submit_events_batch_async(client, body)


both = pytest.mark.parametrize("submit", [_submit_sync, _submit_async], ids=["sync", "async"])


@both
async def test_success_parses_response_and_sends_full_wire_json(
    fault_server: FaultServer, submit: Call
) -> None:
    body = _batch(2)
    response = await submit(fault_server, body)
    assert isinstance(response, gen.BatchEventResponse)
    assert response.accepted == 2
    assert [r.event_id for r in response.results] == [e.event_id for e in body.events]
    (request,) = fault_server.requests
    assert request.path == "/v1/events/batch"
    assert request.headers["Content-Type"] == "application/json"
    sent = request.json()["events"][0]
    assert sent["schema_version"] == "1.0"
    assert sent["repo_size_category"] is None
    assert sent["quality_gates_failed"] == []


@both
async def test_any_2xx_is_success(fault_server: FaultServer, submit: Call) -> None:
    body = _batch(1)
    eid = str(body.events[0].event_id)
    result = {"event_id": eid, "status": "accepted"}
    fault_server.script(
        Reply(status=200, json_body={"accepted": 1, "rejected": 0, "results": [result]})
    )
    assert (await submit(fault_server, body)).accepted == 1


@both
async def test_partial_success_reports_each_event(fault_server: FaultServer, submit: Call) -> None:
    body = _batch(2)
    first, second = (str(e.event_id) for e in body.events)
    fault_server.script(
        Reply(
            status=202,
            json_body={
                "accepted": 1,
                "rejected": 1,
                "results": [
                    {"event_id": first, "status": "accepted", "error": None},
                    {"event_id": second, "status": "rejected", "error": "model: too long"},
                ],
            },
        )
    )
    response = await submit(fault_server, body)
    assert (response.accepted, response.rejected) == (1, 1)
    assert response.results[1].error == "model: too long"


@both
@pytest.mark.parametrize("status", [400, 401, 403, 413, 422, 500, 502, 503])
async def test_error_status_raises_typed_error(
    fault_server: FaultServer, submit: Call, status: int
) -> None:
    fault_server.script(Reply(status=status, json_body={"detail": f"nope {status}"}))
    with pytest.raises(ApiError) as info:
        await submit(fault_server, _batch(1))
    assert info.value.status_code == status
    assert info.value.message == f"nope {status}"
    assert f"nope {status}" in info.value.body
    assert info.value.retry_after is None


@both
async def test_429_carries_retry_after_seconds(fault_server: FaultServer, submit: Call) -> None:
    fault_server.script(Reply(status=429, headers={"Retry-After": "17"}))
    with pytest.raises(ApiError) as info:
        await submit(fault_server, _batch(1))
    assert info.value.status_code == 429
    assert info.value.retry_after == 17.0


@both
async def test_429_carries_retry_after_http_date(fault_server: FaultServer, submit: Call) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    fault_server.script(
        Reply(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    )
    with pytest.raises(ApiError) as info:
        await submit(fault_server, _batch(1))
    assert info.value.retry_after is not None
    assert 110 <= info.value.retry_after <= 121


@both
async def test_422_validation_detail_names_the_field(
    fault_server: FaultServer, submit: Call
) -> None:
    detail = [{"loc": ["body", "events", 0, "model"], "msg": "too long", "type": "string_too_long"}]
    fault_server.script(Reply(status=422, json_body={"detail": detail}))
    with pytest.raises(ApiError) as info:
        await submit(fault_server, _batch(1))
    assert info.value.message == "body.events.0.model: too long"


@both
async def test_non_json_success_body_raises(fault_server: FaultServer, submit: Call) -> None:
    fault_server.script(Reply(status=202, raw_body=b"<html>proxy page</html>"))
    with pytest.raises(ApiError) as info:
        await submit(fault_server, _batch(1))
    assert info.value.status_code == 202
    assert "not a valid BatchEventResponse" in info.value.message
    assert info.value.body == "<html>proxy page</html>"


async def test_predictions_sync_and_async_keep_query_order(fault_server: FaultServer) -> None:
    queries = [gen.PredictionQuery(**query_payload(model=f"m{i}")) for i in range(3)]
    results = [
        {
            "prediction": None,
            "metadata": {"sample_size": i, "fallback_level": -1, "confidence": "none"},
        }
        for i in range(3)
    ]
    fault_server.script(
        Reply(status=200, json_body={"results": results}),
        Reply(status=200, json_body={"results": results}),
    )
    body = gen.PredictionBatchRequest(queries=queries)
    with httpx.Client(base_url=fault_server.url) as client:
        sync = endpoints.get_predictions_batch(client, body)
    async with httpx.AsyncClient(base_url=fault_server.url) as aclient:
        asynchronous = await endpoints.get_predictions_batch_async(aclient, body)
    for response in (sync, asynchronous):
        assert [r.metadata.sample_size for r in response.results] == [0, 1, 2]
        assert response.results[0].metadata.cache_hit is False
    assert [r.path for r in fault_server.requests] == ["/v1/predictions/batch"] * 2
    assert fault_server.requests[0].json() == {
        "queries": [q.model_dump(mode="json") for q in queries]
    }
