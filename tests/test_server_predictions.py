"""Predictions of the local server over HTTP: figures, each fallback level, confidence bounds."""

from __future__ import annotations

from typing import Any

import pytest

from mosaicstack_telemetry._generated import models as gen
from mosaicstack_telemetry.server import MIN_SAMPLES
from tests.factories import event_payload, query_payload
from tests.local_server import LocalServer

MODEL = "claude-sonnet-4-5-20250929"
EXACT = {"task_type": "implementation", "model": MODEL, "provider": "anthropic"}
EXACT_DIMS = {**EXACT, "complexity": "medium"}


def _events(n: int, **fields: Any) -> list[dict[str, Any]]:
    return [event_payload(**{**EXACT_DIMS, **fields}) for _ in range(n)]


def test_figures_on_a_known_data_set(local_server: LocalServer) -> None:
    events = [
        event_payload(
            **EXACT_DIMS,
            actual_input_tokens=100 * i,
            estimated_input_tokens=50 * i,
            actual_output_tokens=10 * i,
            estimated_output_tokens=40 * i,
            actual_cost_usd_micros=1000 * i,
            task_duration_ms=i,
            quality_gate_passed=i <= 7,
            outcome="success" if i % 2 else "failure",
        )
        for i in range(1, 11)
    ]
    local_server.submit(events)
    (result,) = local_server.predict(query_payload())
    gen.PredictionResponse.model_validate(result)
    prediction, metadata = result["prediction"], result["metadata"]
    # Linear interpolation (numpy's default) over 100..1000: 190, 325, 550, 775, 910.
    assert prediction["input_tokens"] == {
        "p10": 190,
        "p25": 325,
        "median": 550,
        "p75": 775,
        "p90": 910,
    }
    # 10..100: 19, 32.5 -> 33 (half up), 55, 77.5 -> 78, 91.
    assert prediction["output_tokens"] == {
        "p10": 19,
        "p25": 33,
        "median": 55,
        "p75": 78,
        "p90": 91,
    }
    assert prediction["cost_usd_micros"] == {"median": 5500}
    assert prediction["duration_ms"] == {"median": 6}  # 5.5 rounds half up
    assert prediction["correction_factors"] == {"input": 2.0, "output": 0.25}
    assert prediction["quality"] == {"gate_pass_rate": 0.7, "success_rate": 0.5}
    assert metadata["sample_size"] == 10
    assert metadata["fallback_level"] == 0
    assert metadata["dimensions_matched"] == EXACT_DIMS
    assert metadata["fallback_note"] is None
    assert metadata["cache_hit"] is False
    assert metadata["last_updated"] is not None


def test_zero_estimates_give_a_neutral_correction_factor(local_server: LocalServer) -> None:
    local_server.submit(_events(10, estimated_input_tokens=0, estimated_output_tokens=0))
    (result,) = local_server.predict(query_payload())
    assert result["prediction"]["correction_factors"] == {"input": 1.0, "output": 1.0}


# Each case: events stored (beyond the exact ones), expected level, sample size, dropped dims.
FALLBACKS = {
    "exact": ([], MIN_SAMPLES, 0, MIN_SAMPLES, ()),
    "model-dropped": (
        [{"model": "claude-opus-4"}],
        MIN_SAMPLES - 1,
        1,
        MIN_SAMPLES,
        ("model",),
    ),
    "provider-dropped": (
        [{"model": "gpt-5", "provider": "openai"}] * 5,
        5,
        2,
        10,
        ("model", "provider"),
    ),
    "complexity-dropped": (
        [{"complexity": "high"}] * 7,
        3,
        3,
        10,
        ("model", "provider", "complexity"),
    ),
    "broadest-below-minimum": ([], 3, 3, 3, ("model", "provider", "complexity")),
}


@pytest.mark.parametrize(
    ("others", "exact", "level", "size", "dropped"), FALLBACKS.values(), ids=FALLBACKS.keys()
)
def test_fallback_levels(
    local_server: LocalServer,
    others: list[dict[str, str]],
    exact: int,
    level: int,
    size: int,
    dropped: tuple[str, ...],
) -> None:
    # Noise that matches at no level: another task type.
    events = _events(exact) + _events(20, task_type="testing")
    events += [event_payload(**{**EXACT_DIMS, **fields}) for fields in others]
    local_server.submit(events)
    (result,) = local_server.predict(query_payload())
    metadata = result["metadata"]
    assert metadata["fallback_level"] == level
    assert metadata["sample_size"] == size
    assert metadata["dimensions_matched"] == {
        k: (None if k in dropped else v) for k, v in EXACT_DIMS.items()
    }
    assert metadata["confidence"] == "low"
    assert result["prediction"] is not None
    if level:
        assert all(name in metadata["fallback_note"] for name in dropped)
    else:
        assert metadata["fallback_note"] is None


def test_no_data_for_the_task_type_is_none(local_server: LocalServer) -> None:
    local_server.submit(_events(50, task_type="testing"))
    (result,) = local_server.predict(query_payload())
    assert result["prediction"] is None
    metadata = result["metadata"]
    assert (metadata["fallback_level"], metadata["confidence"], metadata["sample_size"]) == (
        -1,
        "none",
        0,
    )
    assert metadata["dimensions_matched"] is None


def test_empty_server_answers_every_query_in_order(local_server: LocalServer) -> None:
    local_server.submit(_events(10))
    results = local_server.predict(query_payload(task_type="planning"), query_payload())
    assert [r["metadata"]["fallback_level"] for r in results] == [-1, 0]


@pytest.mark.parametrize(
    ("exact", "confidence"),
    [(29, "low"), (30, "medium"), (99, "medium"), (100, "high")],
)
def test_confidence_boundaries_on_exact_match(
    local_server: LocalServer, exact: int, confidence: str
) -> None:
    local_server.submit(_events(exact))
    (result,) = local_server.predict(query_payload())
    assert result["metadata"]["fallback_level"] == 0
    assert result["metadata"]["sample_size"] == exact
    assert result["metadata"]["confidence"] == confidence


def test_fallback_is_low_even_with_many_samples(local_server: LocalServer) -> None:
    local_server.submit(_events(MIN_SAMPLES - 1) + _events(150, model="claude-opus-4"))
    (result,) = local_server.predict(query_payload())
    assert result["metadata"]["fallback_level"] == 1
    assert result["metadata"]["sample_size"] == 150 + MIN_SAMPLES - 1
    assert result["metadata"]["confidence"] == "low"
