"""EventBuilder: a fluent way to build a TaskCompletionEvent with sensible defaults."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from uuid import UUID

from ._generated.models import (
    Complexity,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    RepoSizeCategory,
    TaskType,
)
from ._models import TaskCompletionEvent, new_event_id


@functools.lru_cache(maxsize=64)
def _parsed(instance_id: str) -> str | UUID:
    # An invalid id is kept as given, so that build() fails with a pydantic error naming
    # `instance_id`. Cached: hosts build every event with the same id.
    try:
        return UUID(instance_id)
    except (ValueError, TypeError, AttributeError):
        return instance_id


def _parse_instance_id(instance_id: str | UUID) -> str | UUID:
    """The id as a UUID when it parses (built events then share it), else as given."""
    if isinstance(instance_id, UUID):
        return instance_id
    try:
        return _parsed(instance_id)
    except TypeError:  # unhashable junk: left for build() to reject
        return instance_id


class EventBuilder:
    """Fluent builder for TaskCompletionEvent; setters chain, and the builder is reusable."""

    # Defaults live on the class: a fresh builder per event (the integration guide's pattern)
    # then sets one attribute instead of twenty-five. Setters shadow them per instance; the
    # shared tuples are never mutated (quality() stores new lists).
    _event_id: str | UUID | None = None
    _timestamp: datetime | None = None
    _task_type = TaskType.UNKNOWN
    _complexity = Complexity.MEDIUM
    _harness = Harness.UNKNOWN
    _model = "unknown"
    _provider = Provider.UNKNOWN
    _duration_ms = 0
    _outcome = Outcome.FAILURE
    _retry_count = 0
    _language: str | None = None
    _repo_size: RepoSizeCategory | None = None
    _estimated_in = _estimated_out = _actual_in = _actual_out = 0
    _cost_estimated = _cost_actual = 0
    _passed = False
    _gates_run: list[QualityGate] | tuple[()] = ()
    _gates_failed: list[QualityGate] | tuple[()] = ()
    _compactions = _rotations = 0
    _utilization = 0.0

    def __init__(self, instance_id: str | UUID) -> None:
        self._instance_id = _parse_instance_id(instance_id)

    def event_id(self, value: str | UUID) -> EventBuilder:
        """Use this event_id instead of a fresh UUIDv4 per build."""
        self._event_id = value
        return self

    def timestamp(self, value: datetime) -> EventBuilder:
        """Use this timestamp instead of now (UTC) at build time."""
        self._timestamp = value
        return self

    def task_type(self, value: TaskType) -> EventBuilder:
        """Set the type of work performed."""
        self._task_type = value
        return self

    def complexity_level(self, value: Complexity) -> EventBuilder:
        """Set the task complexity."""
        self._complexity = value
        return self

    def harness_type(self, value: Harness) -> EventBuilder:
        """Set the coding tool / execution environment."""
        self._harness = value
        return self

    def model(self, value: str) -> EventBuilder:
        """Set the model identifier."""
        self._model = value
        return self

    def provider(self, value: Provider) -> EventBuilder:
        """Set the LLM provider."""
        self._provider = value
        return self

    def duration_ms(self, value: int) -> EventBuilder:
        """Set the task wall-clock time in milliseconds."""
        self._duration_ms = value
        return self

    def outcome_value(self, value: Outcome) -> EventBuilder:
        """Set the final task result."""
        self._outcome = value
        return self

    def retry_count(self, value: int) -> EventBuilder:
        """Set the number of retries before the final outcome."""
        self._retry_count = value
        return self

    def language(self, value: str | None) -> EventBuilder:
        """Set the primary programming language."""
        self._language = value
        return self

    def repo_size(self, value: RepoSizeCategory | None) -> EventBuilder:
        """Set the repository size bucket."""
        self._repo_size = value
        return self

    def tokens(
        self,
        *,
        estimated_in: int = 0,
        estimated_out: int = 0,
        actual_in: int = 0,
        actual_out: int = 0,
    ) -> EventBuilder:
        """Set the four token counts."""
        self._estimated_in, self._estimated_out = estimated_in, estimated_out
        self._actual_in, self._actual_out = actual_in, actual_out
        return self

    def cost(self, *, estimated: int = 0, actual: int = 0) -> EventBuilder:
        """Set estimated and actual cost in microdollars."""
        self._cost_estimated, self._cost_actual = estimated, actual
        return self

    def quality(
        self,
        *,
        passed: bool,
        gates_run: list[QualityGate] | None = None,
        gates_failed: list[QualityGate] | None = None,
    ) -> EventBuilder:
        """Set quality gate results."""
        self._passed = passed
        self._gates_run = list(gates_run or [])
        self._gates_failed = list(gates_failed or [])
        return self

    def context(
        self, *, compactions: int = 0, rotations: int = 0, utilization: float = 0.0
    ) -> EventBuilder:
        """Set context window metrics."""
        self._compactions, self._rotations, self._utilization = compactions, rotations, utilization
        return self

    def build(self) -> TaskCompletionEvent:
        """Validate and return a new TaskCompletionEvent (raises pydantic.ValidationError)."""
        # model_validate() runs the same pydantic validator as TaskCompletionEvent(**fields),
        # without BaseModel.__init__'s Python frame and 25 packed keyword arguments (1.6 us).
        return TaskCompletionEvent.model_validate(
            {
                "instance_id": self._instance_id,
                "event_id": new_event_id() if self._event_id is None else self._event_id,
                "timestamp": datetime.now(timezone.utc)
                if self._timestamp is None
                else self._timestamp,
                "task_duration_ms": self._duration_ms,
                "task_type": self._task_type,
                "complexity": self._complexity,
                "harness": self._harness,
                "model": self._model,
                "provider": self._provider,
                "estimated_input_tokens": self._estimated_in,
                "estimated_output_tokens": self._estimated_out,
                "actual_input_tokens": self._actual_in,
                "actual_output_tokens": self._actual_out,
                "estimated_cost_usd_micros": self._cost_estimated,
                "actual_cost_usd_micros": self._cost_actual,
                "quality_gate_passed": self._passed,
                "quality_gates_run": self._gates_run,
                "quality_gates_failed": self._gates_failed,
                "context_compactions": self._compactions,
                "context_rotations": self._rotations,
                "context_utilization_final": self._utilization,
                "outcome": self._outcome,
                "retry_count": self._retry_count,
                "language": self._language,
                "repo_size_category": self._repo_size,
            }
        )
