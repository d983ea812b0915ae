"""A PredictionResponse back from the JSON the SDK itself stored, without pydantic validation.

Rows in the prediction file were validated when the server's answer arrived and written with
`model_dump_json()`. Reading them back with `model_construct()` skips building the generated
models' validators (deferred until first use, tens of milliseconds), so a fresh process's first
read from disk costs a fraction of a millisecond. A row that is not the shape written raises
ValueError, and the caller ignores it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ._generated.models import (
    CorrectionFactors,
    PredictionData,
    PredictionMetadata,
    PredictionResponse,
    QualityPrediction,
    TokenDistribution,
)


def response_from_json(text: str) -> PredictionResponse:
    """The response stored as text; ValueError if it is not what the SDK writes."""
    try:
        raw = json.loads(text)
        return PredictionResponse.model_construct(
            prediction=_data(raw["prediction"]), metadata=_metadata(raw["metadata"])
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a stored prediction: {exc!r}") from exc


def _data(raw: dict[str, Any] | None) -> PredictionData | None:
    if raw is None:
        return None
    return PredictionData.model_construct(
        input_tokens=_distribution(raw["input_tokens"]),
        output_tokens=_distribution(raw["output_tokens"]),
        cost_usd_micros=_ints(raw["cost_usd_micros"]),
        duration_ms=_ints(raw["duration_ms"]),
        correction_factors=CorrectionFactors.model_construct(
            input=float(raw["correction_factors"]["input"]),
            output=float(raw["correction_factors"]["output"]),
        ),
        quality=QualityPrediction.model_construct(
            gate_pass_rate=float(raw["quality"]["gate_pass_rate"]),
            success_rate=float(raw["quality"]["success_rate"]),
        ),
    )


def _distribution(raw: dict[str, Any]) -> TokenDistribution:
    return TokenDistribution.model_construct(
        p10=_int(raw["p10"]),
        p25=_int(raw["p25"]),
        median=_int(raw["median"]),
        p75=_int(raw["p75"]),
        p90=_int(raw["p90"]),
    )


def _metadata(raw: dict[str, Any]) -> PredictionMetadata:
    matched = raw["dimensions_matched"]
    note = raw["fallback_note"]
    return PredictionMetadata.model_construct(
        sample_size=_int(raw["sample_size"]),
        fallback_level=_int(raw["fallback_level"]),
        confidence=str(raw["confidence"]),
        last_updated=_datetime(raw["last_updated"]),
        dimensions_matched=None
        if matched is None
        else {str(k): None if v is None else str(v) for k, v in matched.items()},
        fallback_note=None if note is None else str(note),
        cache_hit=bool(raw["cache_hit"]),
    )


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _ints(raw: dict[str, Any]) -> dict[str, int]:
    return {str(k): _int(v) for k, v in raw.items()}


def _datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    # Python 3.10's fromisoformat() does not read the "Z" that pydantic writes for UTC.
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
