"""EventBuilder: the reference's defaults, chaining, reuse, and build-time validation."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

import pytest
from pydantic import ValidationError

from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    RepoSizeCategory,
    TaskCompletionEvent,
    TaskType,
)
from tests.factories import INSTANCE_ID


def test_defaults() -> None:
    before = datetime.now(timezone.utc)
    event = EventBuilder(INSTANCE_ID).build()
    assert isinstance(event, TaskCompletionEvent)
    assert event.instance_id == UUID(INSTANCE_ID)
    assert event.event_id.version == 4
    assert before <= event.timestamp <= datetime.now(timezone.utc)
    assert event.timestamp.tzinfo is not None
    assert event.schema_version == "1.0"
    assert event.task_type is TaskType.UNKNOWN
    assert event.complexity is Complexity.MEDIUM
    assert event.harness is Harness.UNKNOWN
    assert event.model == "unknown"
    assert event.provider is Provider.UNKNOWN
    assert event.task_duration_ms == 0
    assert event.outcome is Outcome.FAILURE
    assert event.retry_count == 0
    assert event.language is None
    assert event.repo_size_category is None
    assert (event.estimated_input_tokens, event.estimated_output_tokens) == (0, 0)
    assert (event.actual_input_tokens, event.actual_output_tokens) == (0, 0)
    assert (event.estimated_cost_usd_micros, event.actual_cost_usd_micros) == (0, 0)
    assert event.quality_gate_passed is False
    assert event.quality_gates_run == []
    assert event.quality_gates_failed == []
    assert (event.context_compactions, event.context_rotations) == (0, 0)
    assert event.context_utilization_final == 0.0


def test_every_setter_chains_and_lands_in_its_field() -> None:
    when = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    builder = EventBuilder(UUID(INSTANCE_ID))
    chained = (
        builder.event_id("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
        .timestamp(when)
        .task_type(TaskType.DEBUGGING)
        .complexity_level(Complexity.HIGH)
        .harness_type(Harness.AIDER)
        .model("gpt-4o")
        .provider(Provider.OPENAI)
        .duration_ms(1234)
        .outcome_value(Outcome.PARTIAL)
        .retry_count(2)
        .language("python")
        .repo_size(RepoSizeCategory.LARGE)
        .tokens(estimated_in=1, estimated_out=2, actual_in=3, actual_out=4)
        .cost(estimated=5, actual=6)
        .quality(passed=True, gates_run=[QualityGate.LINT], gates_failed=[QualityGate.TEST])
        .context(compactions=7, rotations=8, utilization=0.5)
    )
    assert chained is builder
    event = builder.build()
    assert str(event.event_id) == "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    assert event.timestamp == when
    assert event.task_type is TaskType.DEBUGGING
    assert event.complexity is Complexity.HIGH
    assert event.harness is Harness.AIDER
    assert event.model == "gpt-4o"
    assert event.provider is Provider.OPENAI
    assert event.task_duration_ms == 1234
    assert event.outcome is Outcome.PARTIAL
    assert event.retry_count == 2
    assert event.language == "python"
    assert event.repo_size_category is RepoSizeCategory.LARGE
    assert (event.estimated_input_tokens, event.estimated_output_tokens) == (1, 2)
    assert (event.actual_input_tokens, event.actual_output_tokens) == (3, 4)
    assert (event.estimated_cost_usd_micros, event.actual_cost_usd_micros) == (5, 6)
    assert event.quality_gate_passed is True
    assert event.quality_gates_run == [QualityGate.LINT]
    assert event.quality_gates_failed == [QualityGate.TEST]
    assert (event.context_compactions, event.context_rotations) == (7, 8)
    assert event.context_utilization_final == 0.5


def test_keyword_only_helpers_default_to_zero() -> None:
    event = EventBuilder(INSTANCE_ID).tokens(actual_in=10).cost(actual=3).context().build()
    assert (event.estimated_input_tokens, event.actual_input_tokens) == (0, 10)
    assert (event.estimated_cost_usd_micros, event.actual_cost_usd_micros) == (0, 3)
    with pytest.raises(TypeError):
        EventBuilder(INSTANCE_ID).tokens(1, 2, 3, 4)  # type: ignore[misc]
    with pytest.raises(TypeError):
        EventBuilder(INSTANCE_ID).quality(gates_run=[])  # type: ignore[call-arg]


def test_builder_is_reusable_with_fresh_ids_and_independent_lists() -> None:
    builder = EventBuilder(INSTANCE_ID).quality(passed=True, gates_run=[QualityGate.BUILD])
    first, second = builder.build(), builder.build()
    assert first.event_id != second.event_id
    assert first.quality_gates_run == second.quality_gates_run == [QualityGate.BUILD]
    assert first.quality_gates_run is not second.quality_gates_run
    assert builder.model("changed").build().model == "changed"
    assert first.model == "unknown"


def test_explicit_event_id_is_kept_across_builds() -> None:
    builder = EventBuilder(INSTANCE_ID).event_id(UUID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"))
    assert builder.build().event_id == builder.build().event_id


@pytest.mark.parametrize(
    ("configure", "field"),
    [
        (lambda b: b.duration_ms(86_400_001), "task_duration_ms"),
        (lambda b: b.model(""), "model"),
        (lambda b: b.language("x" * 31), "language"),
        (lambda b: b.tokens(actual_in=-1), "actual_input_tokens"),
        (lambda b: b.cost(actual=100_000_001), "actual_cost_usd_micros"),
        (lambda b: b.context(utilization=1.5), "context_utilization_final"),
        (lambda b: b.retry_count(21), "retry_count"),
        (lambda b: b.timestamp(datetime(2026, 1, 1)), "timestamp"),
        (lambda b: b.provider("acme"), "provider"),
    ],
)
def test_invalid_values_fail_at_build_naming_the_field(configure: object, field: str) -> None:
    builder = EventBuilder(INSTANCE_ID)
    configure(builder)  # type: ignore[operator]
    with pytest.raises(ValidationError) as info:
        builder.build()
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_bad_instance_id_fails_at_build_naming_it() -> None:
    builder = EventBuilder("not-a-uuid")
    with pytest.raises(ValidationError) as info:
        builder.build()
    assert [e["loc"][0] for e in info.value.errors()] == ["instance_id"]


def test_string_enum_values_are_accepted() -> None:
    event = EventBuilder(INSTANCE_ID).task_type("testing").build()  # type: ignore[arg-type]
    assert event.task_type is TaskType.TESTING
