"""An LLM task's estimates from the client's cached prediction (no network I/O)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .._generated.models import PredictionQuery

if TYPE_CHECKING:
    from .._client import TelemetryClient

logger = logging.getLogger("mosaicstack_telemetry")

_NONE = (0, 0, 0)


def predicted(
    client: TelemetryClient, task_type: str, model: str, provider: str, complexity: str
) -> tuple[int, int, int]:
    """Median input tokens, output tokens and cost of the cached prediction, else zeros."""
    if not client._cache.size:
        return _NONE  # nothing cached: skip building a query
    try:
        query = PredictionQuery.model_validate(
            {
                "task_type": task_type,
                "model": model[:100],
                "provider": provider,
                "complexity": complexity,
            }
        )
        response = client.get_prediction(query)
    except Exception:
        logger.debug("No prediction for an LLM task's estimates", exc_info=True)
        return _NONE
    data = None if response is None else response.prediction
    if data is None:
        return _NONE
    return (
        data.input_tokens.median,
        data.output_tokens.median,
        data.cost_usd_micros.get("median", 0),
    )
