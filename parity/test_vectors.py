"""The shared behaviour vectors, run against the Python package (parity/ts/vectors.test.mjs runs
the same files against the TypeScript one). docs/parity.md describes each file's format."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pydantic
import pytest

from mosaicstack_telemetry import EventBuilder, PredictionQuery, TelemetryConfig
from mosaicstack_telemetry._cache import PredictionCache
from mosaicstack_telemetry._delivery import Delivery, DeliveryStats, Wait
from mosaicstack_telemetry._errors import ApiError, parse_retry_after
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated import models as generated
from mosaicstack_telemetry._generated.models import (
    BatchEventRequest,
    BatchEventResponse,
    BatchEventResult,
    PredictionMetadata,
    PredictionResponse,
)
from mosaicstack_telemetry._models import TaskCompletionEvent
from mosaicstack_telemetry._queue import EventQueue
from mosaicstack_telemetry._retry import RetryPolicy

from . import canonical, vectors

# -- event building ------------------------------------------------------------------------------


def _timestamp(value: Any) -> Any:
    # The builder takes a datetime; strings that are not valid RFC 3339 go in as they are, so
    # that the model rejects them and names the field.
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is not None and "T" in value:
            return parsed
    return value


_SETTERS: dict[str, Callable[[EventBuilder, Any], EventBuilder]] = {
    "event_id": EventBuilder.event_id,
    "timestamp": lambda b, v: b.timestamp(_timestamp(v)),
    "task_duration_ms": EventBuilder.duration_ms,
    "task_type": EventBuilder.task_type,
    "complexity": EventBuilder.complexity_level,
    "harness": EventBuilder.harness_type,
    "model": EventBuilder.model,
    "provider": EventBuilder.provider,
    "outcome": EventBuilder.outcome_value,
    "retry_count": EventBuilder.retry_count,
    "language": EventBuilder.language,
    "repo_size_category": EventBuilder.repo_size,
}
_TOKENS = {
    "estimated_input_tokens": "estimated_in",
    "estimated_output_tokens": "estimated_out",
    "actual_input_tokens": "actual_in",
    "actual_output_tokens": "actual_out",
}
_COST = {"estimated_cost_usd_micros": "estimated", "actual_cost_usd_micros": "actual"}
_QUALITY = {
    "quality_gate_passed": "passed",
    "quality_gates_run": "gates_run",
    "quality_gates_failed": "gates_failed",
}
_CONTEXT = {
    "context_compactions": "compactions",
    "context_rotations": "rotations",
    "context_utilization_final": "utilization",
}
_GROUPS = (_TOKENS, _COST, _QUALITY, _CONTEXT)


def build(fields: dict[str, Any]) -> TaskCompletionEvent:
    """Build an event from wire field names through EventBuilder's public setters."""
    known = {"instance_id", *_SETTERS, *(name for group in _GROUPS for name in group)}
    unknown = set(fields) - known
    assert not unknown, f"vector uses fields the builder has no setter for: {sorted(unknown)}"
    builder = EventBuilder(fields["instance_id"])
    for name, setter in _SETTERS.items():
        if name in fields:
            setter(builder, fields[name])
    tokens = {_TOKENS[k]: v for k, v in fields.items() if k in _TOKENS}
    cost = {_COST[k]: v for k, v in fields.items() if k in _COST}
    quality = {_QUALITY[k]: v for k, v in fields.items() if k in _QUALITY}
    context = {_CONTEXT[k]: v for k, v in fields.items() if k in _CONTEXT}
    if tokens:
        builder.tokens(**tokens)
    if cost:
        builder.cost(**cost)
    if quality:
        builder.quality(**quality)
    if context:
        builder.context(**context)
    return builder.build()


def wire_event(event: TaskCompletionEvent) -> Any:
    """The event as the generated endpoint puts it on the wire (the request body it sends)."""
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(202, json={"accepted": 1, "rejected": 0, "results": []})

    transport = httpx.MockTransport(answer)
    with httpx.Client(base_url="http://parity.invalid", transport=transport) as client:
        endpoints.submit_events_batch(client, BatchEventRequest(events=[event]))
    return json.loads(bodies[0])["events"][0]


def run_build(vector: dict[str, Any], _data: dict[str, Any]) -> None:
    actual = wire_event(build(vector["input"]))
    found = canonical.differences(vector["wire"], actual)
    assert not found, "wire JSON differs: " + "; ".join(found)


def run_validation(vector: dict[str, Any], data: dict[str, Any]) -> None:
    fields = {**data["bases"][vector["target"]], **vector["set"]}
    try:
        if vector["target"] == "event":
            build(fields)
        else:
            PredictionQuery.model_validate(fields)
    except pydantic.ValidationError as exc:
        named = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        assert "rejects" in vector, f"rejected (naming {named}) but should be accepted"
        assert vector["rejects"] in named, f"rejected naming {named}, not {vector['rejects']!r}"
        return
    assert "accepts" in vector, f"accepted but should be rejected naming {vector['rejects']!r}"


# -- retries -------------------------------------------------------------------------------------


def _close(expected: float, actual: float) -> bool:
    return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)


def run_retry_after(vector: dict[str, Any], data: dict[str, Any]) -> None:
    seconds = parse_retry_after(vector["header"], now=data["now_s"])
    expected = vector["seconds"]
    if expected is None or seconds is None:
        assert seconds == expected, f"expected {expected}, got {seconds}"
    else:
        assert _close(expected, seconds), f"expected {expected}, got {seconds}"


def _failure(failure: dict[str, Any], now: float) -> BaseException:
    if failure.get("error") == "timeout":
        return httpx.ReadTimeout("timed out")
    if failure.get("error") == "connection":
        return httpx.ConnectError("connection refused")
    if failure.get("error") == "unexpected":
        return RuntimeError("a bug, not a network problem")
    header = failure.get("headers", {}).get("Retry-After")
    body = json.dumps(failure["body"]) if "body" in failure else ""
    return ApiError(
        failure["status"],
        failure.get("detail", "parity"),
        retry_after=parse_retry_after(header, now=now),
        body=body,
    )


def _constant(value: float) -> Callable[[], float]:
    return lambda: value


def run_retry(vector: dict[str, Any], data: dict[str, Any]) -> None:
    error = _failure(vector["failure"], data["now_s"])
    # Jitter at both ends of its range: both delays must fall inside the vector's bounds.
    for draw in (0.0, 1.0):
        policy = RetryPolicy(max_retries=vector.get("max_retries", 3), random=_constant(draw))
        decision = policy.decide(error, vector["retries_done"])
        action = decision.action.value
        assert action == vector["action"], f"expected {vector['action']}, got {action}"
        if action == "retry":
            low, high = vector["delay_s"]
            delay = decision.delay
            inside = low <= delay <= high or _close(low, delay) or _close(high, delay)
            assert inside, f"delay {delay} s outside [{low}, {high}] (jitter draw {draw})"
        if "indexes" in vector:
            indexes = sorted(getattr(decision, "indexes", ()))
            assert indexes == vector["indexes"], f"indexes {indexes}, expected {vector['indexes']}"
        if "instance_id" in vector:
            found = getattr(decision, "instance_id", None)
            assert found == vector["instance_id"], (
                f"instance_id {found}, expected {vector['instance_id']}"
            )


# -- queue and cache -----------------------------------------------------------------------------


_INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def _event(label: str, instance_id: str = _INSTANCE_ID) -> TaskCompletionEvent:
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"parity:{label}")
    return EventBuilder(instance_id).event_id(event_id).build()


def run_queue(vector: dict[str, Any], _data: dict[str, Any]) -> None:
    queue = EventQueue(vector["max_size"])
    events: dict[str, TaskCompletionEvent] = {}
    labels: dict[uuid.UUID, str] = {}

    def named(batch: list[TaskCompletionEvent]) -> list[str]:
        return [labels[event.event_id] for event in batch]

    for step, op in enumerate(vector["ops"]):
        if "put" in op:
            event = events.setdefault(op["put"], _event(op["put"]))
            labels[event.event_id] = op["put"]
            queue.put(event)
        elif "drain" in op:
            drained = named(queue.drain(op["drain"]))
            assert drained == op["expect"], (
                f"op {step} drain: expected {op['expect']}, got {drained}"
            )
        else:
            queue.put_back([events[label] for label in op["put_back"]])
    final = named(queue.drain(queue.size))
    assert final == vector["queue"], f"final queue: expected {vector['queue']}, got {final}"
    assert queue.evicted == vector["evicted"], (
        f"evicted: expected {vector['evicted']}, got {queue.evicted}"
    )


def _prediction(label: str) -> PredictionResponse:
    metadata = PredictionMetadata(
        sample_size=0, fallback_level=-1, confidence="none", fallback_note=label
    )
    return PredictionResponse(prediction=None, metadata=metadata)


def run_cache(vector: dict[str, Any], _data: dict[str, Any]) -> None:
    now = [0.0]
    cache = PredictionCache(vector["ttl_s"], clock=lambda: now[0])
    for step, op in enumerate(vector["ops"]):
        now[0] = op["at_s"]
        if "put" in op:
            cache.put(PredictionQuery.model_validate(op["put"]), _prediction(op["value"]))
        elif "clear" in op:
            cache.clear()
        else:
            found = cache.get(PredictionQuery.model_validate(op["get"]))
            label = None if found is None else found.metadata.fallback_note
            assert label == op["expect"], (
                f"op {step} get at {now[0]} s: expected {op['expect']}, got {label}"
            )


# -- delivery ------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return canonical.number(round(value, 6))


def _answer(
    spec: dict[str, Any], batch: list[generated.TaskCompletionEvent], labels: dict[uuid.UUID, str]
) -> BatchEventResponse | BaseException:
    if not spec.get("accept"):
        return _failure(spec, 0.0)
    refused = spec.get("reject", {})
    results = [
        BatchEventResult(
            event_id=event.event_id,
            status="rejected" if labels[event.event_id] in refused else "accepted",
            error=refused.get(labels[event.event_id]),
        )
        for event in batch
    ]
    rejected = sum(result.status == "rejected" for result in results)
    return BatchEventResponse(accepted=len(batch) - rejected, rejected=rejected, results=results)


def run_delivery(vector: dict[str, Any], _data: dict[str, Any]) -> None:
    now = [0.0]
    queue = EventQueue(1000)
    labels: dict[uuid.UUID, str] = {}
    for entry in vector["queue"]:
        label, instance_id = (entry, _INSTANCE_ID) if isinstance(entry, str) else entry.values()
        event = _event(label, instance_id)
        labels[event.event_id] = label
        queue.put(event)
    stats = DeliveryStats()
    policy = RetryPolicy(max_retries=vector.get("max_retries", 3), random=_constant(0.0))
    # The lifecycle core's signature (docs/lifecycle.md): time only through the injected clock.
    options: dict[str, Any] = {
        "batch_size": vector["batch_size"],
        "target_url": "http://parity.invalid/v1/events/batch",
        "clock": lambda: now[0],
    }
    delivery = Delivery(queue, policy, stats, **options)
    replies = iter(vector["replies"])
    flushes: list[list[str]] = []
    for _ in vector["flushes"]:
        steps: list[str] = []
        flush = delivery.flush()
        reply: Any = None
        try:
            while True:
                step = flush.send(reply)
                if isinstance(step, Wait):
                    steps.append(f"wait {_seconds(step.seconds)}")
                    now[0] += step.seconds
                    reply = None
                else:
                    batch = list(step.batch.events)
                    steps.append("send " + ",".join(labels[event.event_id] for event in batch))
                    spec = next(replies, None)
                    assert spec is not None, f"no scripted reply left for {steps[-1]}"
                    reply = _answer(spec, batch, labels)
        except StopIteration:
            pass
        flushes.append(steps)
    assert flushes == vector["flushes"], f"steps: expected {vector['flushes']}, got {flushes}"
    final = [labels[event.event_id] for event in queue.drain(queue.size)]
    assert final == vector["final_queue"], f"queue: expected {vector['final_queue']}, got {final}"
    counters = {name: getattr(stats, name) for name in vector["stats"]}
    assert counters == vector["stats"], f"counters: expected {vector['stats']}, got {counters}"


# -- configuration -------------------------------------------------------------------------------


def run_config(
    vector: dict[str, Any], _data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ENABLED", "SERVER_URL", "API_KEY", "INSTANCE_ID"):
        monkeypatch.delenv(f"MOSAIC_TELEMETRY_{name}", raising=False)
    for name, value in vector["env"].items():
        monkeypatch.setenv(name, value)
    config = TelemetryConfig(**vector["options"])
    wrong = {
        name: getattr(config, name)
        for name, value in vector["expect"].items()
        if getattr(config, name) != value
    }
    assert not wrong, f"resolved differently: {wrong} (expected {vector['expect']})"
    problems = sorted(message.split(" ", 1)[0] for message in config.validate())
    assert problems == sorted(vector["problems"]), (
        f"validation problems: expected {sorted(vector['problems'])}, got {problems}"
    )


_RUNNERS = {
    "build": run_build,
    "validation": run_validation,
    "retry_after": run_retry_after,
    "retry": run_retry,
    "queue": run_queue,
    "cache": run_cache,
    "delivery": run_delivery,
}

_VECTORS = vectors.all_vectors()


def test_every_vector_file_has_a_runner() -> None:
    assert set(vectors.kinds()) == {*_RUNNERS, "config"}


def test_at_least_150_vectors() -> None:
    assert len(_VECTORS) >= 150


@pytest.mark.parametrize(
    ("kind", "vector"), _VECTORS, ids=[f"{kind}/{vector['name']}" for kind, vector in _VECTORS]
)
def test_vector(kind: str, vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    data = vectors.load(kind)
    if kind == "config":
        run_config(vector, data, monkeypatch)
    else:
        _RUNNERS[kind](vector, data)
