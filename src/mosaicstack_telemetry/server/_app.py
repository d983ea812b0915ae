"""The ASGI app: both Telemetry API v1 operations, with auth, limits and spec-shaped errors.

Each request is checked in this order: Bearer key (401 missing or malformed, 403 unknown), rate
limit (429 with Retry-After), Content-Type (415 unless application/json), body size (413), JSON
(400, also for nesting deeper than 32 levels and for lone surrogates), schema via the
generated models (422, `detail` as a list of loc/msg/type), then, for events, that every
`instance_id` is the key's instance (403). Client input never causes a 5xx.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import _strict_json as strict_json
from .._generated import endpoints
from .._generated import models as gen
from ._config import ServerConfig
from ._keys import bearer_token, hash_key
from ._predict import predict
from ._ratelimit import RateLimiter
from ._store import Store

_Model = TypeVar("_Model", bound=BaseModel)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _Reject(Exception):
    """Ends a request early with an error response."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _json(model: BaseModel, status: int) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


class _Api:
    def __init__(self, store: Store, config: ServerConfig) -> None:
        self.store = store
        self.config = config
        self.limiter = (
            RateLimiter(config.rate_limit_per_minute)
            if config.rate_limit_per_minute is not None
            else None
        )

    async def _authorize(self, request: Request) -> str:
        """The instance id the request's key belongs to; rejects with 401/403/429 otherwise."""
        header = request.headers.get("authorization")
        key = bearer_token(header)
        if key is None:
            why = "missing" if header is None else "malformed (expected 64 hex characters)"
            raise _Reject(
                401,
                f"Authorization: Bearer <api_key> header is {why}",
                {"WWW-Authenticate": "Bearer"},
            )
        digest = hash_key(key)
        # The key itself goes no further than this function: only its hash is looked up.
        instance = await run_in_threadpool(self.store.instance_for_key, digest)
        if instance is None:
            raise _Reject(403, "unknown API key")
        if self.limiter is not None:
            wait = self.limiter.acquire(digest)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                raise _Reject(
                    429,
                    f"rate limit of {self.config.rate_limit_per_minute} requests per minute "
                    f"exceeded; retry in {seconds} s",
                    {"Retry-After": str(seconds)},
                )
        return instance

    async def _body(self, request: Request) -> bytes:
        limit = self.config.max_body_bytes
        too_large = f"request body exceeds the {limit}-byte limit"
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Reject(413, too_large)
        # Counted as read too: a chunked body has no Content-Length, and a header can lie.
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Reject(413, too_large)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _parse(self, request: Request, model: type[_Model]) -> _Model:
        if not _is_json(request.headers.get("content-type")):
            raise _Reject(415, "Content-Type must be application/json")
        raw = await self._body(request)
        try:
            data = strict_json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Reject(400, f"request body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise _Reject(400, "request body must be a JSON object")
        try:
            return strict_json.validate(model, data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            detail = [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in errors
            ]
            raise _Reject(422, detail) from exc

    async def submit_events(self, request: Request) -> Response:
        try:
            instance = await self._authorize(request)
            body = await self._parse(request, gen.BatchEventRequest)
            for index, event in enumerate(body.events):
                if str(event.instance_id) != instance:
                    raise _Reject(
                        403,
                        f"events[{index}].instance_id {event.instance_id} is not the instance "
                        "this API key belongs to",
                    )
        except _Reject as reject:
            return reject.response
        stored = await run_in_threadpool(self.store.add_events, body.events)
        results = [
            gen.BatchEventResult(event_id=event.event_id, status="accepted", error=None)
            if ok
            else gen.BatchEventResult(
                event_id=event.event_id,
                status="rejected",
                error=f"duplicate event_id {event.event_id}: already stored",
            )
            for event, ok in zip(body.events, stored, strict=True)
        ]
        accepted = sum(stored)
        response = gen.BatchEventResponse(
            accepted=accepted, rejected=len(results) - accepted, results=results
        )
        return _json(response, 202)

    async def predictions(self, request: Request) -> Response:
        try:
            await self._authorize(request)
            body = await self._parse(request, gen.PredictionBatchRequest)
        except _Reject as reject:
            return reject.response

        def answer() -> gen.PredictionBatchResponse:
            return gen.PredictionBatchResponse(
                results=[predict(query, self.store.samples) for query in body.queries]
            )

        return _json(await run_in_threadpool(answer), 200)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def create_app(store: Store, config: ServerConfig | None = None) -> Starlette:
    """The Telemetry API v1 ASGI app over `store`; the caller owns (and closes) the store."""
    api = _Api(store, config or ServerConfig())
    routes = [
        Route(endpoints.SUBMIT_EVENTS_BATCH_PATH, api.submit_events, methods=["POST"]),
        Route(endpoints.GET_PREDICTIONS_BATCH_PATH, api.predictions, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
