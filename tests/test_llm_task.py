"""client.llm_task(): timing, sums over calls, retries, outcomes, estimates, unknown models and
clamping, checked on the events the local server stored."""

from __future__ import annotations

import logging
from typing import Any

import anthropic
import httpx2
import pytest

from mosaicstack_telemetry import PredictionQuery, TelemetryClient
from mosaicstack_telemetry.llm import LlmUsage, ModelPrice, PriceTable
from tests import llm_recordings as rec
from tests.factories import event_payload
from tests.llm_helpers import delivered, only_event, telemetry_fixture  # noqa: F401
from tests.local_server import LocalServer


def claude(input_tokens: int = 100, output_tokens: int = 50) -> dict[str, Any]:
    """An Anthropic message as JSON, no cache: 100 x 3 + 50 x 15 = 1,050 us on sonnet 4.5."""
    return rec.anthropic_message({"input_tokens": input_tokens, "output_tokens": output_tokens})


def test_a_tool_loop_sums_every_call_and_counts_retries(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    with telemetry.llm_task(task_type="implementation", complexity="high") as task:
        task.record(claude())
        task.count_retry()
        task.record(claude(200, 100))  # 200 x 3 + 100 x 15 = 2,100 us
    event = only_event(telemetry, local_server)
    assert event["actual_input_tokens"] == 300
    assert event["actual_output_tokens"] == 150
    assert event["actual_cost_usd_micros"] == 3_150
    assert event["retry_count"] == 1
    assert event["complexity"] == "high"
    assert event["outcome"] == "success"
    assert event["quality_gate_passed"] is True
    assert event["task_duration_ms"] >= 0
    assert event["instance_id"] == local_server.instance_id


def test_duration_is_the_time_inside_the_block(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    import time

    with telemetry.llm_task() as task:
        time.sleep(0.05)
        task.record(claude())
    assert only_event(telemetry, local_server)["task_duration_ms"] >= 50


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ValueError("bad"), "failure"),
        (TimeoutError("slow"), "timeout"),
        (anthropic.APITimeoutError(request=httpx2.Request("POST", "http://x")), "timeout"),
        (KeyboardInterrupt(), "failure"),
    ],
)
def test_an_exception_sets_the_outcome_and_is_reraised_untouched(
    telemetry: TelemetryClient,
    local_server: LocalServer,
    error: BaseException,
    outcome: str,
) -> None:
    with pytest.raises(type(error)) as raised, telemetry.llm_task() as task:  # noqa: PT012
        task.record(claude())
        raise error
    assert raised.value is error
    event = only_event(telemetry, local_server)
    assert (event["outcome"], event["quality_gate_passed"]) == (outcome, False)
    assert event["actual_input_tokens"] == 100  # what was recorded before the error is kept


def test_the_caller_can_set_outcome_and_quality(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    with telemetry.llm_task() as task:
        task.record(claude())
        task.outcome = "partial"
        task.quality_gate_passed = False
    event = only_event(telemetry, local_server)
    assert (event["outcome"], event["quality_gate_passed"]) == ("partial", False)


def test_decorator_sync_and_async(telemetry: TelemetryClient, local_server: LocalServer) -> None:
    import asyncio

    @telemetry.llm_task(task_type="code_review")
    def review(size: int) -> dict[str, Any]:
        return claude(size, 10)

    @telemetry.llm_task(system_prompt="You are the planning brain")
    async def plan() -> dict[str, Any]:
        return claude(7, 1)

    assert review(10)["usage"]["input_tokens"] == 10  # the response comes back unchanged
    review(20)
    asyncio.run(plan())
    events = delivered(telemetry, local_server)
    assert [(e["task_type"], e["actual_input_tokens"]) for e in events] == [
        ("code_review", 10),
        ("code_review", 20),
        ("planning", 7),
    ]


def test_unknown_model_costs_zero_is_warned_once_and_counted(
    telemetry: TelemetryClient, local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "mosaicstack_telemetry"):
        for _ in range(2):
            with telemetry.llm_task() as task:
                task.record(rec.anthropic_message(model="claude-unreleased-9"))
        with telemetry.llm_task() as local:  # local models are free, not unknown
            local.record(rec.ollama_final(model="my-finetune:7b"))
    warnings = [r for r in caplog.records if "claude-unreleased-9" in r.getMessage()]
    assert len(warnings) == 1
    assert telemetry.stats.unknown_models == 2
    events = delivered(telemetry, local_server)
    assert [e["actual_cost_usd_micros"] for e in events] == [0, 0, 0]
    assert [e["provider"] for e in events] == ["anthropic", "anthropic", "ollama"]


def test_values_above_the_schema_maxima_are_clamped_counted_and_logged(
    telemetry: TelemetryClient, local_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    huge = LlmUsage(provider="openai", model="gpt-4o", input_tokens=50_000_000, output_tokens=5)
    with caplog.at_level(logging.WARNING, "mosaicstack_telemetry"), telemetry.llm_task() as task:
        task.record_usage(huge)  # 50M x 2.50 + 5 x 10 = 125,000,050 us
    assert task.cost_usd_micros == 125_000_050
    event = only_event(telemetry, local_server)
    assert event["actual_input_tokens"] == 10_000_000
    assert event["actual_cost_usd_micros"] == 100_000_000
    assert event["actual_output_tokens"] == 5
    assert telemetry.stats.clamped == 2
    assert "actual_input_tokens=50000000 is above the schema maximum 10000000" in caplog.text


def test_estimates_from_the_caller_else_the_cached_prediction(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    dims = {
        "task_type": "implementation",
        "model": rec.CLAUDE,
        "provider": "anthropic",
        "complexity": "medium",
    }
    local_server.submit(
        [
            event_payload(
                **dims,
                actual_input_tokens=100 * i,
                actual_output_tokens=10 * i,
                actual_cost_usd_micros=1000 * i,
            )
            for i in range(1, 11)
        ]
    )
    query = PredictionQuery.model_validate(dims)
    with telemetry.llm_task(task_type="implementation") as before:  # nothing cached yet
        before.record(claude())
    telemetry.refresh_predictions_sync([query])
    assert telemetry.get_prediction(query) is not None
    with telemetry.llm_task(task_type="implementation") as predicted:
        predicted.record(claude())
    with telemetry.llm_task(
        task_type="implementation", estimated_input_tokens=1, estimated_cost_usd_micros=2
    ) as given:
        given.record(claude())
    estimates = [
        (e["estimated_input_tokens"], e["estimated_output_tokens"], e["estimated_cost_usd_micros"])
        for e in delivered(telemetry, local_server)[10:]
    ]
    # Medians of 100..1000, 10..100 and 1000..10000; the caller's values win field by field.
    assert estimates == [(0, 0, 0), (550, 55, 5500), (1, 55, 2)]


def test_prices_passed_to_the_task_win(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    mine = ModelPrice(provider="anthropic", input=1_000_000, output=1_000_000)
    table = PriceTable.bundled().with_overrides({"claude-sonnet-4-5": mine})
    with telemetry.llm_task(prices=table) as task:
        task.record(claude())  # 150 tokens x 1 us
    assert only_event(telemetry, local_server)["actual_cost_usd_micros"] == 150


def test_usage_recorded_after_the_task_is_not_counted(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    with telemetry.llm_task() as task:
        task.record(claude())
    task.record(claude())
    assert task.usage is not None
    assert task.usage.input_tokens == 100
    assert only_event(telemetry, local_server)["actual_input_tokens"] == 100


def test_a_task_without_calls_still_reports_its_outcome(
    telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    with telemetry.llm_task(model="gpt-4o", provider="openai", task_type="testing"):
        pass
    event = only_event(telemetry, local_server)
    assert (event["model"], event["provider"], event["task_type"]) == (
        "gpt-4o",
        "openai",
        "testing",
    )
    assert event["actual_input_tokens"] == 0


@pytest.mark.parametrize(
    ("option", "value"),
    [("complexity", "huge"), ("harness", "vim"), ("repo_size_category", "giant"), ("language", "")],
)
def test_a_bad_option_fails_at_llm_task_naming_it(
    telemetry: TelemetryClient, option: str, value: str
) -> None:
    with pytest.raises(ValueError, match=f"llm_task {option}="):
        telemetry.llm_task(**{option: value})
    assert telemetry.queue_size == 0
