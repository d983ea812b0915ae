# Generated from schema/telemetry-api-v1.yaml (sha256 cb319e8961148101e10cf3fa7a1afad2af1753d6bc756f0b0364d9c4379f2fce).
# Do not edit by hand: change the spec or codegen/, then run `make generate`
# (python -m codegen generate).
"""Typed endpoint stubs for Mosaic Telemetry API 1.0.0: one sync and one async function per operation.

Each takes a configured httpx client (base URL, auth, timeout), sends the request model as JSON,
returns the parsed response model on any 2xx, and raises ApiError on anything else. At most
`_response.MAX_RESPONSE_BYTES` of a response body are read.
"""

from __future__ import annotations

from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .._errors import ApiError
from .._response import aread_bounded, read_bounded
from .models import (
    BatchEventRequest,
    BatchEventResponse,
    PredictionBatchRequest,
    PredictionBatchResponse,
)

_Response = TypeVar("_Response", bound=BaseModel)

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

SUBMIT_EVENTS_BATCH_PATH = "/v1/events/batch"
GET_PREDICTIONS_BATCH_PATH = "/v1/predictions/batch"


def _parse(response: httpx.Response, model: type[_Response]) -> _Response:
    # Any 2xx is success, not only the status the spec names: servers differ (200 vs 202).
    if not response.is_success:
        raise ApiError.from_response(response)
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise ApiError.from_response(
            response, f"response body is not a valid {model.__name__}: {exc.error_count()} error(s)"
        ) from exc


def submit_events_batch(client: httpx.Client, body: BatchEventRequest) -> BatchEventResponse:
    """Submit a batch of task-completion events (POST /v1/events/batch, 202 on success)."""
    request = client.build_request(
        "POST",
        SUBMIT_EVENTS_BATCH_PATH,
        content=body.model_dump_json(),
        headers=_JSON_HEADERS,
    )
    response = read_bounded(client.send(request, stream=True))
    return _parse(response, BatchEventResponse)


async def submit_events_batch_async(
    client: httpx.AsyncClient, body: BatchEventRequest
) -> BatchEventResponse:
    """Submit a batch of task-completion events (POST /v1/events/batch, 202 on success)."""
    request = client.build_request(
        "POST",
        SUBMIT_EVENTS_BATCH_PATH,
        content=body.model_dump_json(),
        headers=_JSON_HEADERS,
    )
    response = await aread_bounded(await client.send(request, stream=True))
    return _parse(response, BatchEventResponse)


def get_predictions_batch(
    client: httpx.Client, body: PredictionBatchRequest
) -> PredictionBatchResponse:
    """Fetch predictions for a batch of queries (POST /v1/predictions/batch, 200 on success)."""
    request = client.build_request(
        "POST",
        GET_PREDICTIONS_BATCH_PATH,
        content=body.model_dump_json(),
        headers=_JSON_HEADERS,
    )
    response = read_bounded(client.send(request, stream=True))
    return _parse(response, PredictionBatchResponse)


async def get_predictions_batch_async(
    client: httpx.AsyncClient, body: PredictionBatchRequest
) -> PredictionBatchResponse:
    """Fetch predictions for a batch of queries (POST /v1/predictions/batch, 200 on success)."""
    request = client.build_request(
        "POST",
        GET_PREDICTIONS_BATCH_PATH,
        content=body.model_dump_json(),
        headers=_JSON_HEADERS,
    )
    response = await aread_bounded(await client.send(request, stream=True))
    return _parse(response, PredictionBatchResponse)
