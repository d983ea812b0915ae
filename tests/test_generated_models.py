"""The generated models enforce the reference's constraints and speak snake_case wire JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from mosaicstack_telemetry._generated import models as gen
from mosaicstack_telemetry._models import TaskCompletionEvent
from tests.factories import INSTANCE_ID, event_payload, query_payload


def _error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in err["loc"]) for err in exc.errors()}


RANGES = [
    ("task_duration_ms", 0, 86_400_000),
    ("estimated_input_tokens", 0, 10_000_000),
    ("estimated_output_tokens", 0, 10_000_000),
    ("actual_input_tokens", 0, 10_000_000),
    ("actual_output_tokens", 0, 10_000_000),
    ("estimated_cost_usd_micros", 0, 100_000_000),
    ("actual_cost_usd_micros", 0, 100_000_000),
    ("context_compactions", 0, 100),
    ("context_rotations", 0, 50),
    ("retry_count", 0, 20),
]


@pytest.mark.parametrize(("field", "low", "high"), RANGES)
def test_integer_ranges_accept_bounds_and_reject_outside(field: str, low: int, high: int) -> None:
    assert getattr(gen.TaskCompletionEvent(**event_payload(**{field: low})), field) == low
    assert getattr(gen.TaskCompletionEvent(**event_payload(**{field: high})), field) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(ValidationError) as info:
            gen.TaskCompletionEvent(**event_payload(**{field: bad}))
        assert _error_fields(info.value) == {field}


@pytest.mark.parametrize("bad", [-0.01, 1.01])
def test_context_utilization_is_a_ratio(bad: float) -> None:
    assert gen.TaskCompletionEvent(**event_payload(context_utilization_final=1.0))
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(context_utilization_final=bad))
    assert _error_fields(info.value) == {"context_utilization_final"}


@pytest.mark.parametrize(
    ("field", "ok", "bad"),
    [("model", "m" * 100, "m" * 101), ("model", "m", ""), ("language", "l" * 30, "l" * 31)],
)
def test_string_lengths(field: str, ok: str, bad: str) -> None:
    assert getattr(gen.TaskCompletionEvent(**event_payload(**{field: ok})), field) == ok
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(**{field: bad}))
    assert _error_fields(info.value) == {field}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("task_type", "cooking"),
        ("complexity", "extreme"),
        ("harness", "vim"),
        ("provider", "acme"),
        ("outcome", "meh"),
        ("repo_size_category", "gigantic"),
        ("quality_gates_run", ["build", "vibes"]),
    ],
)
def test_bad_enum_values_name_the_field(field: str, bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(**{field: bad}))
    assert next(iter(_error_fields(info.value))).split(".")[0] == field


@pytest.mark.parametrize("field", ["instance_id", "event_id"])
def test_bad_uuid(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(**{field: "not-a-uuid"}))
    assert _error_fields(info.value) == {field}


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(timestamp="2026-11-22T10:00:00"))
    assert _error_fields(info.value) == {"timestamp"}


def test_schema_version_is_fixed() -> None:
    assert gen.TaskCompletionEvent(**event_payload()).schema_version == "1.0"
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**event_payload(schema_version="2.0"))
    assert _error_fields(info.value) == {"schema_version"}


def test_event_id_and_timestamp_are_required_on_the_wire() -> None:
    payload = event_payload()
    del payload["event_id"], payload["timestamp"]
    with pytest.raises(ValidationError) as info:
        gen.TaskCompletionEvent(**payload)
    assert _error_fields(info.value) == {"event_id", "timestamp"}


@pytest.mark.parametrize("count", [0, 101])
def test_batch_holds_1_to_100_events(count: int) -> None:
    event = gen.TaskCompletionEvent(**event_payload())
    assert len(gen.BatchEventRequest(events=[event] * 100).events) == 100
    with pytest.raises(ValidationError) as info:
        gen.BatchEventRequest(events=[event] * count)
    assert _error_fields(info.value) == {"events"}


@pytest.mark.parametrize("count", [0, 51])
def test_prediction_batch_holds_1_to_50_queries(count: int) -> None:
    query = gen.PredictionQuery(**query_payload())
    assert len(gen.PredictionBatchRequest(queries=[query] * 50).queries) == 50
    with pytest.raises(ValidationError):
        gen.PredictionBatchRequest(queries=[query] * count)


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (gen.TaskCompletionEvent, event_payload(surprise=1)),
        (gen.PredictionQuery, query_payload(surprise=1)),
        (gen.BatchEventRequest, {"events": [event_payload()], "surprise": 1}),
        (gen.PredictionBatchRequest, {"queries": [query_payload()], "surprise": 1}),
    ],
)
def test_request_models_forbid_unknown_fields(model: type[Any], payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate(payload)
    assert "surprise" in _error_fields(info.value)


def test_response_models_ignore_fields_a_newer_server_adds() -> None:
    body = {
        "accepted": 1,
        "rejected": 0,
        "results": [{"event_id": INSTANCE_ID, "status": "accepted", "new_field": 1}],
        "server_region": "eu",
    }
    parsed = gen.BatchEventResponse.model_validate(body)
    assert parsed.accepted == 1
    assert parsed.results[0].event_id == UUID(INSTANCE_ID)
    assert parsed.results[0].error is None


def test_wire_json_carries_every_field_with_enum_values_as_strings() -> None:
    event = TaskCompletionEvent(**{k: v for k, v in event_payload().items() if k != "language"})
    wire = json.loads(event.model_dump_json())
    assert set(wire) == set(gen.TaskCompletionEvent.model_fields)
    assert wire["schema_version"] == "1.0"
    assert wire["language"] is None
    assert wire["repo_size_category"] is None
    assert wire["quality_gates_failed"] == []
    assert wire["task_type"] == "implementation"
    assert wire["quality_gates_run"] == ["build", "lint", "test"]
    assert wire["instance_id"] == INSTANCE_ID
    # The batch wrapper keeps defaults too (no exclude_unset anywhere on the wire path).
    batch = json.loads(gen.BatchEventRequest(events=[event]).model_dump_json())
    assert batch["events"][0] == wire


def test_enums_are_str_enums_with_lowercase_values() -> None:
    assert isinstance(gen.TaskType.CODE_REVIEW, str)
    assert gen.TaskType.CODE_REVIEW.value == "code_review"
    assert gen.Harness.OLLAMA_LOCAL.value == "ollama_local"
    assert [m.value for m in gen.QualityGate] == [
        "build",
        "lint",
        "test",
        "coverage",
        "typecheck",
        "security",
    ]


def test_public_event_generates_event_id_and_utc_timestamp() -> None:
    payload = event_payload()
    del payload["event_id"], payload["timestamp"], payload["schema_version"]
    before = datetime.now(timezone.utc)
    first, second = TaskCompletionEvent(**payload), TaskCompletionEvent(**payload)
    assert first.event_id != second.event_id
    assert first.event_id.version == 4
    assert first.timestamp.tzinfo is not None
    assert before <= first.timestamp <= datetime.now(timezone.utc)
    assert first.schema_version == "1.0"
