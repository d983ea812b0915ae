"""The SDK's generated endpoint stubs against the local server: the same wire contract both ways."""

from __future__ import annotations

import httpx
import pytest

from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated import models as gen
from tests.factories import event_payload, query_payload
from tests.local_server import LocalServer


def test_submit_and_predict_through_the_sdk_stubs(local_server: LocalServer) -> None:
    events = [gen.TaskCompletionEvent(**event_payload()) for _ in range(12)]
    with httpx.Client(base_url=local_server.url, headers=local_server.headers) as client:
        response = endpoints.submit_events_batch(client, gen.BatchEventRequest(events=events))
        assert response.accepted == 12
        again = endpoints.submit_events_batch(client, gen.BatchEventRequest(events=events[:1]))
        assert again.results[0].error is not None
        assert again.results[0].error.startswith("duplicate")
        predictions = endpoints.get_predictions_batch(
            client,
            gen.PredictionBatchRequest(queries=[gen.PredictionQuery(**query_payload())]),
        )
    (result,) = predictions.results
    assert result.metadata.sample_size == 12
    assert result.metadata.confidence == "low"
    assert result.prediction is not None
    assert result.prediction.input_tokens.median == 112340
    assert local_server.api_key not in repr(local_server)


async def test_async_stub_gets_the_servers_403_as_api_error(local_server: LocalServer) -> None:
    other = gen.TaskCompletionEvent(
        **event_payload(instance_id="00000000-0000-4000-8000-000000000000")
    )
    async with httpx.AsyncClient(base_url=local_server.url, headers=local_server.headers) as c:
        with pytest.raises(ApiError) as error:
            await endpoints.submit_events_batch_async(c, gen.BatchEventRequest(events=[other]))
    assert error.value.status_code == 403
    assert "instance_id" in error.value.message
