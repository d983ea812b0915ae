"""Estimate: what a task will take, from the cached prediction for its four dimensions."""

from __future__ import annotations

from dataclasses import dataclass

from ._cache import CachedPrediction
from ._generated.models import PredictionResponse


@dataclass(frozen=True, slots=True)
class Estimate:
    """Median tokens, cost and duration of a task from the prediction cache, and how sure it is.

    `cached` is False when nothing was cached for the query yet (every median is None and a
    refresh has been scheduled); `stale` is True when the entry is older than the cache TTL
    (served while a refresh runs); `age_seconds` is how long ago the server answered.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd_micros: int | None = None
    duration_ms: int | None = None
    confidence: str = "none"
    fallback_level: int = -1
    sample_size: int = 0
    cached: bool = False
    stale: bool = False
    age_seconds: float | None = None
    response: PredictionResponse | None = None

    @property
    def available(self) -> bool:
        """Whether there are medians to use (cached, and the server had data)."""
        return self.input_tokens is not None


MISS = Estimate()


def estimate_from(found: CachedPrediction | None) -> Estimate:
    """The Estimate of a cache lookup (MISS for None)."""
    if found is None:
        return MISS
    response = found.response
    meta = response.metadata
    data = response.prediction
    if data is None:
        return Estimate(
            confidence=meta.confidence,
            fallback_level=meta.fallback_level,
            sample_size=meta.sample_size,
            cached=True,
            stale=found.stale,
            age_seconds=found.age_seconds,
            response=response,
        )
    return Estimate(
        data.input_tokens.median,
        data.output_tokens.median,
        data.cost_usd_micros.get("median"),
        data.duration_ms.get("median"),
        meta.confidence,
        meta.fallback_level,
        meta.sample_size,
        True,
        found.stale,
        found.age_seconds,
        response,
    )
