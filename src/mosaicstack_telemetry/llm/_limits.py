"""The schema's maxima for the numbers an LLM task reports, read from the generated model."""

from __future__ import annotations

from .._models import TaskCompletionEvent

_CLAMPED_FIELDS = (
    "task_duration_ms",
    "estimated_input_tokens",
    "estimated_output_tokens",
    "actual_input_tokens",
    "actual_output_tokens",
    "estimated_cost_usd_micros",
    "actual_cost_usd_micros",
    "retry_count",
)


def _schema_maxima() -> dict[str, int]:
    # Read from the spec's constraints on the generated model, so that they cannot drift.
    maxima = {}
    for name, info in TaskCompletionEvent.model_fields.items():
        for constraint in info.metadata:
            bound = getattr(constraint, "le", None)
            if isinstance(bound, int):
                maxima[name] = bound
    return maxima


_MAXIMA = _schema_maxima()

MAXIMA: tuple[tuple[str, int], ...] = tuple((name, _MAXIMA[name]) for name in _CLAMPED_FIELDS)
"""(field, maximum) for every number llm_task clamps."""
