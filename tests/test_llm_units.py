"""Pure parts of mosaicstack_telemetry.llm: accumulator rules, prices, cost, task types, wrappers.

Every expected value is worked by hand in the test (rates in USD per million tokens; 1 USD per
million tokens is 1 microdollar per token).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mosaicstack_telemetry.llm import (
    AnthropicAccumulator,
    GeminiAccumulator,
    LlmUsage,
    ModelPrice,
    OllamaAccumulator,
    OpenAIAccumulator,
    PriceTable,
    cost_micros,
    infer_task_type,
    usage_from,
    with_stream_usage,
    wrap_stream,
)
from mosaicstack_telemetry.llm._usage import usd_to_micros
from tests import llm_recordings as rec

# -- Anthropic: message_delta replaces message_start field by field ----------------------------


def anthropic_start(**usage: int) -> dict[str, Any]:
    return {"type": "message_start", "message": {"model": "claude-haiku-4-5", "usage": usage}}


def test_anthropic_delta_replaces_cumulative_values_instead_of_summing() -> None:
    acc = AnthropicAccumulator()
    acc.feed(anthropic_start(input_tokens=10, cache_read_input_tokens=5, output_tokens=1))
    acc.feed({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}})
    acc.feed({"type": "message_delta", "usage": {"input_tokens": 10, "output_tokens": 20}})
    usage = acc.result()
    # Summing would give 10+10 uncached + 5 read = 25 in and 21 out.
    assert (usage.input_tokens, usage.output_tokens, usage.status) == (15, 20, "complete")
    assert usage.cache_read_tokens == 5


def test_anthropic_delta_with_only_output_keeps_the_start_counts() -> None:
    acc = AnthropicAccumulator()
    acc.feed(anthropic_start(input_tokens=40, cache_creation_input_tokens=60, output_tokens=1))
    acc.feed({"type": "message_delta", "usage": {"output_tokens": 7}})
    usage = acc.result()
    assert (usage.input_tokens, usage.cache_write_5m_tokens, usage.output_tokens) == (100, 60, 7)


def test_anthropic_cut_off_after_start_is_partial_and_nothing_is_missing() -> None:
    acc = AnthropicAccumulator()
    assert acc.result().status == "missing"
    acc.feed(anthropic_start(input_tokens=40, output_tokens=1))
    assert (acc.result().input_tokens, acc.result().status) == (40, "partial")


def test_anthropic_one_hour_cache_writes_and_thinking_tokens() -> None:
    usage = usage_from(
        rec.anthropic_message(
            rec.anthropic_usage(
                cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1000},
                output_tokens_details={"thinking_tokens": 300},
            )
        )
    )
    assert (usage.cache_write_5m_tokens, usage.cache_write_1h_tokens) == (0, 1000)
    assert (usage.output_tokens, usage.reasoning_tokens) == (500, 300)


# -- OpenAI: usage only on the final chunk, already inclusive -------------------------------------


def test_openai_chunks_without_usage_are_missing_not_zero() -> None:
    acc = OpenAIAccumulator()
    for _, chunk in rec.openai_chunks(include_usage=False):
        acc.feed(chunk)
    assert acc.result() == LlmUsage(provider="openai", model=rec.GPT, status="missing")


def test_openai_usage_chunks_are_totals_the_last_one_wins() -> None:
    acc = OpenAIAccumulator()
    for _, chunk in rec.openai_chunks():
        acc.feed(chunk)
    acc.feed({"object": "chat.completion.chunk", "model": rec.GPT, "choices": [], "usage": None})
    acc.feed(
        {
            "object": "chat.completion.chunk",
            "model": rec.GPT,
            "choices": [],
            "usage": rec.openai_usage(),
        }
    )
    usage = acc.result()
    assert (usage.input_tokens, usage.output_tokens) == (2000, 300)  # not 4000 / 600
    assert (usage.cache_read_tokens, usage.reasoning_tokens) == (1500, 100)


def test_openai_responses_usage_keeps_cached_inside_input() -> None:
    usage = usage_from(rec.responses_response())
    assert (usage.input_tokens, usage.cache_read_tokens) == (1200, 1000)
    assert (usage.output_tokens, usage.reasoning_tokens) == (900, 700)


# -- Gemini: thoughts outside candidates; the last usage_metadata wins ----------------------------


def test_gemini_last_usage_wins_and_thoughts_are_added() -> None:
    acc = GeminiAccumulator()
    for _, chunk in rec.gemini_chunks():
        acc.feed(chunk)
    usage = acc.result()
    # candidates 300 + thoughts 500; summing the chunks would give 10 + 150 + 300 (+ thoughts x3)
    assert (usage.output_tokens, usage.reasoning_tokens, usage.status) == (800, 500, "complete")
    assert usage.input_tokens == 1250


def test_gemini_snake_case_dicts_and_missing_usage() -> None:
    metadata = {"prompt_token_count": 10, "candidates_token_count": 4, "thoughts_token_count": 6}
    usage = usage_from({"usage_metadata": metadata, "model_version": "gemini-2.5-flash"})
    assert (usage.provider, usage.input_tokens, usage.output_tokens) == ("google", 10, 10)
    acc = GeminiAccumulator()
    acc.feed(rec.gemini_response(None))
    assert acc.result().status == "missing"


# -- Ollama: counts on the done object; absent is unknown ------------------------------------------


def test_ollama_counts_come_from_the_done_object_only() -> None:
    acc = OllamaAccumulator()
    for part in rec.ollama_parts(finish=False):
        acc.feed(part)
    assert acc.result().status == "missing"
    acc.feed(rec.ollama_final(eval_count=None))
    usage = acc.result()
    assert (usage.input_tokens, usage.status) == (26, "partial")


# -- LlmUsage ----------------------------------------------------------------------------------


def test_usage_sum_and_status() -> None:
    complete = LlmUsage(provider="openai", model="a", input_tokens=1, output_tokens=2)
    missing = LlmUsage(provider="openai", status="missing")
    total = complete + complete
    assert (total.input_tokens, total.output_tokens, total.status) == (2, 4, "complete")
    assert (complete + missing).status == "partial"
    assert (missing + missing).status == "missing"
    assert (complete + missing).model == "a"


def test_provider_reported_cost_in_microdollars_half_up() -> None:
    assert usd_to_micros(0.0123456) == 12_346
    assert usd_to_micros(0.0000005) == 1
    assert usd_to_micros(0.00000049) == 0
    assert usd_to_micros("n/a") is None
    assert usd_to_micros(-1) is None
    assert usd_to_micros(None) is None


def test_unrecognised_response_is_missing() -> None:
    assert usage_from({"hello": "world"}).status == "missing"
    assert usage_from(object(), provider="custom") == LlmUsage(provider="custom", status="missing")


# -- prices and cost ---------------------------------------------------------------------------


def test_cache_reads_are_priced_at_the_cache_rate_not_the_input_rate() -> None:
    gpt4o = PriceTable.bundled().lookup("gpt-4o")
    assert gpt4o is not None
    usage = LlmUsage(provider="openai", input_tokens=10_000, cache_read_tokens=8_000)
    # 2,000 uncached x 2.50 + 8,000 cached x 1.25 = 5,000 + 10,000; at the input rate: 25,000
    assert cost_micros(usage, gpt4o) == 15_000


def test_anthropic_cache_writes_at_their_ttl_rates() -> None:
    sonnet = PriceTable.bundled().lookup("claude-sonnet-4-5")
    assert sonnet is not None
    five = LlmUsage(provider="anthropic", input_tokens=1000, cache_write_5m_tokens=1000)
    hour = LlmUsage(provider="anthropic", input_tokens=1000, cache_write_1h_tokens=1000)
    assert (cost_micros(five, sonnet), cost_micros(hour, sonnet)) == (3_750, 6_000)


def test_reasoning_at_its_own_rate_when_it_has_one() -> None:
    price = ModelPrice(provider="custom", input=1_000_000, output=4_000_000, reasoning=8_000_000)
    usage = LlmUsage(provider="custom", output_tokens=1000, reasoning_tokens=600)
    assert cost_micros(usage, price) == 400 * 4 + 600 * 8  # 6,400


def test_gemini_25_pro_tier_above_200k_prompt_tokens() -> None:
    pro = PriceTable.bundled().lookup("gemini-2.5-pro")
    assert pro is not None
    at = LlmUsage(provider="google", input_tokens=200_000, output_tokens=1000)
    above = LlmUsage(
        provider="google", input_tokens=250_000, output_tokens=1000, reasoning_tokens=1
    )
    assert cost_micros(at, pro) == 200_000 * 1.25 + 1000 * 10  # 260,000
    assert cost_micros(above, pro) == 250_000 * 2.5 + 1000 * 15  # 640,000: every token at tier 2


def test_one_rounding_half_up_to_whole_microdollars() -> None:
    usage = LlmUsage(provider="custom", input_tokens=1)
    assert cost_micros(usage, ModelPrice(provider="custom", input=500_000, output=0)) == 1
    assert cost_micros(usage, ModelPrice(provider="custom", input=499_999, output=0)) == 0
    # Summed before rounding: 3 x 0.4 us is 1 us (1.2), not 3 x round(0.4) = 0.
    three = LlmUsage(provider="custom", input_tokens=2, output_tokens=1)
    assert cost_micros(three, ModelPrice(provider="custom", input=400_000, output=400_000)) == 1


def test_lookup_exact_alias_and_dated_snapshots_but_no_prefixes() -> None:
    table = PriceTable.bundled()
    gpt4o, mini = table.lookup("gpt-4o"), table.lookup("gpt-4o-mini")
    assert gpt4o is not None
    assert mini is not None
    assert gpt4o != mini
    assert table.lookup("gpt-4o-2024-08-06") == gpt4o
    assert table.lookup("gpt-4o-mini-2024-07-18") == mini
    assert table.lookup("claude-sonnet-4-5-20250929") == table.lookup("claude-sonnet-4-5")
    assert table.lookup("mistral-large-latest") == table.lookup("mistral-large-2411")
    assert table.lookup("gpt-4o-realtime-preview") is None  # no loose prefix matching
    assert table.lookup("gpt-4") is None
    assert table.lookup("my-gpt-4o") is None


def test_bundled_table_has_source_date_and_every_provider() -> None:
    table = PriceTable.bundled()
    assert table.source
    assert table.date
    providers = {price.provider for price in table.prices.values()}
    assert {"anthropic", "openai", "google", "mistral", "openrouter"} <= providers


LITELLM = {
    "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of ..."},
    "claude-next": {
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07,
        "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_token_above_200k_tokens": 6e-06,
        "output_cost_per_token_above_200k_tokens": 2.25e-05,
        "litellm_provider": "anthropic",
        "mode": "chat",
    },
    "dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai"},
}


def test_litellm_price_file(tmp_path: Path) -> None:
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(LITELLM), encoding="utf-8")
    table = PriceTable.bundled().merged(PriceTable.from_litellm(path))
    price = table.lookup("claude-next")
    assert price is not None
    assert (price.input, price.output, price.cache_read) == (3_000_000, 15_000_000, 300_000)
    assert (price.cache_write_5m, price.cache_write_1h) == (3_750_000, 6_000_000)
    above = price.rates_for(200_001)
    assert (above.input, above.output, above.reasoning) == (6_000_000, 22_500_000, 22_500_000)
    assert above.cache_read == 300_000  # not given for the tier: the base rate
    assert table.lookup("dall-e-3") is None  # not priced per token
    assert table.lookup("sample_spec") is None
    assert table.lookup("gpt-4o") is not None  # the bundle is still underneath


def test_overrides_replace_and_add_prices() -> None:
    mine = ModelPrice(provider="openai", input=1_000_000, output=2_000_000)
    table = PriceTable.bundled().with_overrides({"gpt-4o": mine, "my-model": mine})
    assert table.lookup("gpt-4o-2024-08-06") == mine
    assert table.lookup("my-model") == mine
    assert PriceTable.bundled().lookup("my-model") is None  # the bundle is unchanged


# -- task types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "hint", "expected"),
    [
        ("You review pull requests for correctness.", None, "code_review"),
        ("You are the brain of the assistant.", None, "planning"),
        ("Plan the migration step by step.", None, "planning"),
        ("Generate code for the user's request.", None, "implementation"),
        ("Find the vulnerability in this handler.", None, "security_audit"),
        ("Write unit tests with pytest.", None, "testing"),
        ("Fix the crash in the parser.", None, "debugging"),
        ("Refactor this module.", None, "refactoring"),
        ("Write the README section.", None, "documentation"),
        ("Configure the CI pipeline.", None, "configuration"),
        ("The latest city news.", None, "unknown"),  # no keyword at a word start
        (None, None, "unknown"),
        ("You review pull requests.", "brain", "planning"),  # a hint wins over the prompt
        ("You review pull requests.", "testing", "testing"),  # a TaskType value as hint
        (None, "review", "code_review"),
    ],
)
def test_infer_task_type(prompt: str | None, hint: str | None, expected: str) -> None:
    assert infer_task_type(system_prompt=prompt, hint=hint) == expected


def test_with_stream_usage_is_opt_in_and_keeps_other_options() -> None:
    kwargs = {"model": "gpt-4o", "stream": True, "stream_options": {"include_obfuscation": False}}
    result = with_stream_usage(**kwargs)
    assert result["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert kwargs["stream_options"] == {"include_obfuscation": False}  # not mutated
    assert result["model"] == "gpt-4o"


# -- stream wrappers (pure: generators of dicts) -------------------------------------------------


def ollama_stream(fail: bool = False) -> Iterator[dict[str, Any]]:
    yield from rec.ollama_parts(finish=False)
    if fail:
        raise ConnectionError("dropped")
    yield rec.ollama_final()


def test_wrapper_yields_the_same_items_and_reports_once_on_exhaustion() -> None:
    items = list(ollama_stream())
    reports: list[LlmUsage] = []
    wrapped = wrap_stream(iter(items), reports.append)
    out = list(wrapped)
    assert all(a is b for a, b in zip(out, items, strict=True))
    wrapped.close()
    assert len(reports) == 1
    assert (reports[0].input_tokens, reports[0].output_tokens) == (26, 298)


def test_wrapper_reports_once_on_an_error_and_reraises_it() -> None:
    reports: list[LlmUsage] = []
    wrapped = wrap_stream(ollama_stream(fail=True), reports.append)
    with pytest.raises(ConnectionError):
        for _ in wrapped:
            pass
    wrapped.close()
    assert [r.status for r in reports] == ["missing"]


def test_wrapper_reports_on_close_and_proxies_attributes() -> None:
    class SdkStream:
        response = "the response"

        def __init__(self) -> None:
            self.closed = False
            self._items = iter(rec.ollama_parts())

        def __iter__(self) -> Iterator[Any]:
            return self._items

        def close(self) -> None:
            self.closed = True

    reports: list[LlmUsage] = []
    source = SdkStream()
    wrapped = wrap_stream(source, reports.append, provider="ollama")
    next(wrapped)
    assert wrapped.response == "the response"
    wrapped.close()
    wrapped.close()
    assert source.closed
    assert [r.status for r in reports] == ["missing"]


def test_wrap_stream_refuses_a_non_stream() -> None:
    with pytest.raises(TypeError, match="not a stream"):
        wrap_stream(42, lambda usage: None)


# -- no provider SDK is imported -------------------------------------------------------------------

NO_SDK = """
import sys
import mosaicstack_telemetry
import mosaicstack_telemetry.llm as llm
from mosaicstack_telemetry import TelemetryClient, TelemetryConfig

config = TelemetryConfig(
    server_url="http://127.0.0.1:9", api_key="0" * 64,
    instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", enabled=False,
)
client = TelemetryClient(config)
with client.llm_task(task_type="implementation") as task:
    task.record({"type": "message", "model": "claude-haiku-4-5", "stop_reason": "end_turn",
                 "usage": {"input_tokens": 3, "output_tokens": 4}})
    for _ in task.wrap_stream(iter([{"model": "llama3.2", "done": True, "eval_count": 1}])):
        pass
assert task.usage.output_tokens == 5, task.usage
for name in llm.__all__:
    getattr(llm, name)
sdks = ("anthropic", "openai", "ollama", "google.genai", "google", "httpx2")
print(sorted(name for name in sdks if name in sys.modules))
"""


def test_importing_and_using_llm_imports_no_provider_sdk() -> None:
    result = subprocess.run(
        [sys.executable, "-c", NO_SDK], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_every_python_example_in_the_llm_doc_compiles() -> None:
    import ast
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "llm.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 9
    for block in blocks:
        compile(block, "docs/llm.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


async def test_async_wrapper_reports_once_when_cancelled() -> None:
    import asyncio

    stalled = asyncio.Event()

    async def parts() -> Any:
        for part in rec.ollama_parts(finish=False):
            yield part
        stalled.set()
        await asyncio.Event().wait()  # the stream stalls until the consumer is cancelled
        yield rec.ollama_final()

    reports: list[LlmUsage] = []

    async def consume() -> None:
        async for _ in wrap_stream(parts(), reports.append):
            pass

    consumer = asyncio.ensure_future(consume())
    await asyncio.wait_for(stalled.wait(), timeout=30)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert [r.status for r in reports] == ["missing"]
    assert reports[0].model == rec.LLAMA


def test_an_abandoned_wrapper_reports_when_collected() -> None:
    import gc

    reports: list[LlmUsage] = []
    wrapped = wrap_stream(iter(rec.ollama_parts()), reports.append)
    for _ in wrapped:
        break  # left without close()
    assert reports == []
    del wrapped
    gc.collect()
    assert [r.status for r in reports] == ["missing"]


def test_use_prices_sets_the_default_table() -> None:
    from mosaicstack_telemetry.llm import default_prices, use_prices

    mine = PriceTable.bundled().with_overrides(
        {"x": ModelPrice(provider="custom", input=1, output=1)}
    )
    use_prices(mine)
    try:
        assert default_prices() is mine
    finally:
        use_prices(None)
    assert default_prices() is PriceTable.bundled()
