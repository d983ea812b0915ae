"""Estimate: what a task will take, from the cached prediction for its four dimensions."""

from __future__ import annotations

from typing import NamedTuple

from ._cache import CachedPrediction
from ._generated.models import PredictionResponse


class Estimate(NamedTuple):
    """Median tokens, cost and duration of a task from the prediction cache, and how sure it is.

    `cached` is False when nothing was cached for the query yet (every median is None and a
    refresh has been scheduled); `stale` is True when the entry is older than the cache TTL
    (served while a refresh runs); `age_seconds` is how long ago the server answered.
    Immutable (a named tuple: cheap to build, as estimate() must be).
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

_Summary = tuple[int | None, int | None, int | None, int | None, str, int, int]

# The fixed part of each response's Estimate, by id (the response is kept, so the id stays its
# own): estimate() must cost microseconds, and reading nine model attributes costs about one.
_summaries: dict[int, tuple[PredictionResponse, _Summary]] = {}
_MAX_SUMMARIES = 1024


def _summary(response: PredictionResponse) -> _Summary:
    known = _summaries.get(id(response))
    if known is not None and known[0] is response:
        return known[1]
    meta, data = response.metadata, response.prediction
    summary: _Summary = (
        (None, None, None, None, meta.confidence, meta.fallback_level, meta.sample_size)
        if data is None
        else (
            data.input_tokens.median,
            data.output_tokens.median,
            data.cost_usd_micros.get("median"),
            data.duration_ms.get("median"),
            meta.confidence,
            meta.fallback_level,
            meta.sample_size,
        )
    )
    if len(_summaries) >= _MAX_SUMMARIES:
        _summaries.clear()
    _summaries[id(response)] = (response, summary)
    return summary


def estimate_from(found: CachedPrediction | None) -> Estimate:
    """The Estimate of a cache lookup (MISS for None)."""
    if found is None:
        return MISS
    response = found.response
    # tuple.__new__ skips the generated __new__'s argument handling: same object, a third of
    # the cost.
    return tuple.__new__(
        Estimate, (*_summary(response), True, found.stale, found.age_seconds, response)
    )
