"""Predictions from stored events, with dimension fallback and confidence levels.

For a query (task_type, model, provider, complexity) the server looks at fallback levels in
order, each dropping one more dimension:

    level 0: task_type, model, provider, complexity   (exact match)
    level 1: task_type, provider, complexity          (model dropped)
    level 2: task_type, complexity                    (provider dropped)
    level 3: task_type                                (complexity dropped)

Token counts depend most on what the task is (type and size), so those are kept longest; the
model and then the provider are the dimensions other events can stand in for. The first level
with at least MIN_SAMPLES events is used; when none has that many, level 3 (the broadest, so
the largest) is used if it has any event; with no event for the task type the answer is
`prediction: null`, `fallback_level: -1`, `confidence: none`.

Confidence: `high` for 100+ events on an exact match, `medium` for 30-99 on an exact match,
`low` below 30 or after any fallback, `none` without data.

Figures: p10/p25/median/p75/p90 of actual input and output tokens and the median actual cost and
duration, by linear interpolation (see `_stats`); correction factors are sum(actual tokens) /
sum(estimated tokens) over the sample (1.0 when nothing was estimated), which weights large
tasks more than a median of per-event ratios would and never divides by a zero estimate;
gate pass rate and success rate are fractions of the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from .._generated import models as gen
from ._stats import percentile, rate, ratio, round_half_up
from ._store import Sample

MIN_SAMPLES = 10
HIGH_CONFIDENCE_SAMPLES = 100
MEDIUM_CONFIDENCE_SAMPLES = 30

# Dimensions dropped, cumulatively, at fallback levels 1, 2, 3.
FALLBACK_ORDER = ("model", "provider", "complexity")

Fetch = Callable[[Mapping[str, str]], list[Sample]]


def _dimensions(query: gen.PredictionQuery) -> dict[str, str]:
    return {
        "task_type": query.task_type.value,
        "model": query.model,
        "provider": query.provider.value,
        "complexity": query.complexity.value,
    }


def confidence(sample_size: int, fallback_level: int) -> str:
    """The confidence label for a sample size at a fallback level."""
    if sample_size == 0 or fallback_level < 0:
        return "none"
    if fallback_level > 0 or sample_size < MEDIUM_CONFIDENCE_SAMPLES:
        return "low"
    return "high" if sample_size >= HIGH_CONFIDENCE_SAMPLES else "medium"


def _distribution(values: list[int]) -> gen.TokenDistribution:
    ordered = sorted(values)
    p10, p25, p50, p75, p90 = (
        round_half_up(percentile(ordered, q)) for q in (0.10, 0.25, 0.50, 0.75, 0.90)
    )
    return gen.TokenDistribution(p10=p10, p25=p25, median=p50, p75=p75, p90=p90)


def _median(values: list[int]) -> int:
    return round_half_up(percentile(sorted(values), 0.5))


def summarize(samples: list[Sample]) -> gen.PredictionData:
    """The prediction figures of a non-empty sample."""
    return gen.PredictionData(
        input_tokens=_distribution([s.actual_input_tokens for s in samples]),
        output_tokens=_distribution([s.actual_output_tokens for s in samples]),
        cost_usd_micros={"median": _median([s.actual_cost_usd_micros for s in samples])},
        duration_ms={"median": _median([s.task_duration_ms for s in samples])},
        correction_factors=gen.CorrectionFactors(
            input=ratio(
                sum(s.actual_input_tokens for s in samples),
                sum(s.estimated_input_tokens for s in samples),
            ),
            output=ratio(
                sum(s.actual_output_tokens for s in samples),
                sum(s.estimated_output_tokens for s in samples),
            ),
        ),
        quality=gen.QualityPrediction(
            gate_pass_rate=rate(sum(s.quality_gate_passed for s in samples), len(samples)),
            success_rate=rate(sum(s.outcome == "success" for s in samples), len(samples)),
        ),
    )


def predict(
    query: gen.PredictionQuery, fetch: Fetch, now: datetime | None = None
) -> gen.PredictionResponse:
    """The prediction for one query, choosing the fallback level as the module describes."""
    dims = _dimensions(query)
    levels: list[tuple[int, dict[str, str], list[Sample]]] = []
    for level in range(len(FALLBACK_ORDER) + 1):
        dropped = FALLBACK_ORDER[:level]
        filters = {k: v for k, v in dims.items() if k not in dropped}
        levels.append((level, filters, fetch(filters)))
        if len(levels[-1][2]) >= MIN_SAMPLES:
            break
    level, filters, samples = levels[-1]
    if not samples:
        return gen.PredictionResponse(
            prediction=None,
            metadata=gen.PredictionMetadata(
                sample_size=0,
                fallback_level=-1,
                confidence="none",
                last_updated=None,
                dimensions_matched=None,
                fallback_note=f"no events stored for task_type {dims['task_type']!r}",
            ),
        )
    dropped = FALLBACK_ORDER[:level]
    note = None
    if level:
        note = (
            f"fewer than {MIN_SAMPLES} events matched exactly; "
            f"dropped {', '.join(dropped)} ({len(samples)} events matched the rest)"
        )
    return gen.PredictionResponse(
        prediction=summarize(samples),
        metadata=gen.PredictionMetadata(
            sample_size=len(samples),
            fallback_level=level,
            confidence=confidence(len(samples), level),
            last_updated=now or datetime.now(timezone.utc),
            dimensions_matched={k: (None if k in dropped else v) for k, v in dims.items()},
            fallback_note=note,
            cache_hit=False,
        ),
    )
