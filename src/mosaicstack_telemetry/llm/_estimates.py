"""An LLM task's estimates from the client's cached prediction (no network I/O)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import TelemetryClient

_NONE = (0, 0, 0)


def predicted(
    client: TelemetryClient, task_type: str, model: str, provider: str, complexity: str
) -> tuple[int, int, int]:
    """Median input tokens, output tokens and cost of the cached prediction, else zeros.

    `client.estimate()` reads the cache only (the persisted one too, so a short-lived process
    gets what earlier runs fetched) and schedules a background refresh on a miss; it never
    raises.
    """
    estimate = client.estimate(
        task_type=task_type, model=model[:100], provider=provider, complexity=complexity
    )
    if not estimate.available:
        return _NONE
    return (
        estimate.input_tokens or 0,
        estimate.output_tokens or 0,
        estimate.cost_usd_micros or 0,
    )
