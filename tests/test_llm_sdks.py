"""The real provider SDKs against a replay server, through mosaicstack_telemetry.llm, to the local
server: the SDKs' own response and stream classes, and the event the server stored.

Expected costs are worked by hand from the bundled prices (microdollars per million tokens):
claude-sonnet-4-5 3/15 USD in/out, cache read 0.30, write 5m 3.75, 1h 6; gpt-4o 2.50/10, cached
1.25; o4-mini 1.10/4.40, cached 0.275; gemini-2.5-pro 1.25/10, cached 0.125 (<= 200k).
"""

from __future__ import annotations

import logging
from typing import Any

import anthropic
import httpx2
import ollama
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from mosaicstack_telemetry import TelemetryClient
from mosaicstack_telemetry.llm import LlmUsage, with_stream_usage
from tests import llm_recordings as rec
from tests.llm_helpers import delivered, only_event, replay_fixture, telemetry_fixture  # noqa: F401
from tests.llm_replay import ReplayServer, Reply
from tests.local_server import LocalServer

MESSAGES: list[Any] = [{"role": "user", "content": "Hello"}]

# The SDK warns that the recorded model is deprecated: true, and beside the point here.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

# claude-sonnet-4-5, recordings' usage: 100 uncached + 2000 read + 600 (5m) + 400 (1h) in, 500 out
#   100*3 + 2000*0.30 + 600*3.75 + 400*6 + 500*15 = 300 + 600 + 2250 + 2400 + 7500 = 13,050 us
ANTHROPIC_COST = 13_050
# gpt-4o: 2000 in of which 1500 cached, 300 out (100 reasoning, billed as output)
#   500*2.50 + 1500*1.25 + 300*10 = 1250 + 1875 + 3000 = 6,125 us
OPENAI_COST = 6_125
# o4-mini: 1200 in of which 1000 cached, 900 out (700 reasoning)
#   200*1.10 + 1000*0.275 + 900*4.40 = 220 + 275 + 3960 = 4,455 us
RESPONSES_COST = 4_455
# gemini-2.5-pro: 1200 prompt (1000 cached) + 50 tool-use prompt in; 300 candidates + 500 thoughts
#   250*1.25 + 1000*0.125 + 800*10 = 312.5 + 125 + 8000 = 8,437.5 -> 8,438 us (half up)
GEMINI_COST = 8_438


def anthropic_client(replay: ReplayServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="test-key", base_url=replay.url, max_retries=0)


def openai_client(replay: ReplayServer) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-key", base_url=replay.url + "/v1", max_retries=0)


def gemini_client(replay: ReplayServer) -> genai.Client:
    options = genai_types.HttpOptions(base_url=replay.url)
    return genai.Client(api_key="test-key", http_options=options)


def assert_event(event: dict[str, Any], **expected: Any) -> None:
    assert {name: event[name] for name in expected} == expected


# -- Anthropic -------------------------------------------------------------------------------


def test_anthropic_message_adds_cache_tokens_to_input(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.json(rec.anthropic_message()))
    sdk = anthropic_client(replay)
    with telemetry.llm_task(task_type="implementation", harness="claude_code") as task:
        message = task.record(
            sdk.messages.create(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES)
        )
    assert isinstance(message, anthropic.types.Message)
    assert task.usage == LlmUsage(
        provider="anthropic",
        model=rec.CLAUDE,
        input_tokens=3100,  # 100 + 2000 + 1000, not input_tokens alone
        output_tokens=500,
        cache_read_tokens=2000,
        cache_write_5m_tokens=600,
        cache_write_1h_tokens=400,
    )
    assert_event(
        only_event(telemetry, local_server),
        provider="anthropic",
        model=rec.CLAUDE,
        harness="claude_code",
        task_type="implementation",
        actual_input_tokens=3100,
        actual_output_tokens=500,
        actual_cost_usd_micros=ANTHROPIC_COST,
        outcome="success",
        retry_count=0,
    )


def test_anthropic_stream_usage_is_replaced_not_summed(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.anthropic_stream_events()))
    sdk = anthropic_client(replay)
    seen = []
    with telemetry.llm_task(task_type="implementation") as task:
        stream = task.wrap_stream(
            sdk.messages.create(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES, stream=True)
        )
        for event in stream:
            seen.append(event)
        assert stream.response.status_code == 200  # attributes reach the SDK's Stream
    assert seen[0].type == "message_start"
    assert isinstance(seen[-1], anthropic.types.RawMessageStopEvent)  # items pass unchanged
    assert task.usage is not None
    # message_start said 3100 in / 1 out and message_delta repeated the input cumulatively;
    # summing would report 6200 in and 501 out.
    assert (task.usage.input_tokens, task.usage.output_tokens) == (3100, 500)
    assert task.usage.status == "complete"
    assert_event(
        only_event(telemetry, local_server),
        actual_input_tokens=3100,
        actual_output_tokens=500,
        actual_cost_usd_micros=ANTHROPIC_COST,
    )


async def test_anthropic_async_stream_helper(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.anthropic_stream_events()))
    sdk = anthropic.AsyncAnthropic(api_key="test-key", base_url=replay.url, max_retries=0)
    async with telemetry.llm_task(task_type="planning") as task:
        manager = sdk.messages.stream(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES)
        async with task.wrap_stream(manager) as stream:
            text = [chunk async for chunk in stream.text_stream]  # the SDK's own helper
            final = await stream.get_final_message()
    assert "".join(text) == "Hello!"
    assert final.usage.output_tokens == 500
    assert task.usage is not None
    assert (task.usage.input_tokens, task.usage.output_tokens) == (3100, 500)
    assert_event(
        only_event(telemetry, local_server),
        task_type="planning",
        actual_input_tokens=3100,
        actual_cost_usd_micros=ANTHROPIC_COST,
    )


def test_anthropic_stream_cut_off_is_partial_not_zero(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.anthropic_stream_events(with_delta=False), cut=True))
    sdk = anthropic_client(replay)
    with pytest.raises(httpx2.RemoteProtocolError), telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            sdk.messages.create(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES, stream=True)
        ):
            pass
    assert task.usage is not None
    assert task.usage.status == "partial"
    assert task.usage.input_tokens == 3100  # what message_start reported, not 0
    event = only_event(telemetry, local_server)
    assert_event(event, outcome="failure", actual_input_tokens=3100, actual_output_tokens=1)


def test_anthropic_error_event_mid_stream(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.anthropic_stream_events(error=True)))
    sdk = anthropic_client(replay)
    with pytest.raises(anthropic.APIStatusError), telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            sdk.messages.create(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES, stream=True)
        ):
            pass
    assert task.usage is not None
    assert task.usage.status == "partial"
    assert_event(only_event(telemetry, local_server), outcome="failure", actual_input_tokens=3100)


def test_anthropic_early_break_reports_once_at_task_end(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.anthropic_stream_events()))
    sdk = anthropic_client(replay)
    with telemetry.llm_task() as task:
        stream = task.wrap_stream(
            sdk.messages.create(model=rec.CLAUDE, max_tokens=64, messages=MESSAGES, stream=True)
        )
        for event in stream:
            if event.type == "content_block_delta":
                break
    assert task.usage is not None
    assert task.usage.status == "partial"
    stream.close()  # closing later does not report a second time
    del stream
    events = delivered(telemetry, local_server)
    assert len(events) == 1
    assert events[0]["actual_input_tokens"] == 3100


# -- OpenAI (Chat Completions, Responses, embeddings), OpenRouter, Mistral ----------------------


def test_openai_cached_and_reasoning_tokens_are_not_added_again(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.json(rec.openai_completion()))
    sdk = openai_client(replay)
    with telemetry.llm_task(task_type="debugging") as task:
        task.record(sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES))
    assert task.usage == LlmUsage(
        provider="openai",
        model=rec.GPT,
        input_tokens=2000,  # cached 1500 are inside, not on top (3500)
        output_tokens=300,  # reasoning 100 inside, not on top (400)
        cache_read_tokens=1500,
        reasoning_tokens=100,
    )
    assert_event(
        only_event(telemetry, local_server),
        provider="openai",
        model=rec.GPT,
        actual_input_tokens=2000,
        actual_output_tokens=300,
        actual_cost_usd_micros=OPENAI_COST,
    )


def test_openai_stream_usage_from_the_final_chunk(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.openai_chunks(), done=True))
    sdk = openai_client(replay)
    with telemetry.llm_task() as task:
        kwargs = with_stream_usage(model="gpt-4o", messages=MESSAGES, stream=True)
        with task.wrap_stream(sdk.chat.completions.create(**kwargs)) as stream:
            chunks = list(stream)
    assert replay.requests[0].body["stream_options"] == {"include_usage": True}
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert_event(
        only_event(telemetry, local_server),
        actual_input_tokens=2000,
        actual_output_tokens=300,
        actual_cost_usd_micros=OPENAI_COST,
    )


def test_openai_stream_without_include_usage_is_missing(
    replay: ReplayServer,
    telemetry: TelemetryClient,
    local_server: LocalServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    replay.add(Reply.sse(rec.openai_chunks(include_usage=False), done=True))
    sdk = openai_client(replay)
    with caplog.at_level(logging.WARNING, "mosaicstack_telemetry"), telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        ):
            pass
    assert "stream_options" not in replay.requests[0].body  # never changed silently
    assert task.usage is not None
    assert task.usage.status == "missing"
    assert "include_usage" in caplog.text
    assert_event(only_event(telemetry, local_server), model=rec.GPT, actual_input_tokens=0)


async def test_openai_async_stream_cut_off_before_usage(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.openai_chunks(finish=False), cut=True))
    sdk = openai.AsyncOpenAI(api_key="test-key", base_url=replay.url + "/v1", max_retries=0)
    with pytest.raises(openai.APIConnectionError):  # noqa: PT012
        async with telemetry.llm_task() as task:
            kwargs = with_stream_usage(model="gpt-4o", messages=MESSAGES, stream=True)
            async for _ in task.wrap_stream(await sdk.chat.completions.create(**kwargs)):
                pass
    assert task.usage is not None
    assert task.usage.status == "missing"
    assert_event(only_event(telemetry, local_server), outcome="failure", model=rec.GPT)


def test_openai_error_mid_stream(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    events = rec.openai_chunks(finish=False)
    events.append((None, {"error": {"message": "server overloaded", "type": "server_error"}}))
    replay.add(Reply.sse(events))
    sdk = openai_client(replay)
    with pytest.raises(openai.APIError), telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            sdk.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        ):
            pass
    assert task.usage is not None
    assert task.usage.status == "missing"
    assert_event(only_event(telemetry, local_server), outcome="failure")


async def test_openai_responses_api_sync_and_async_stream(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.json(rec.responses_response()), Reply.sse(rec.responses_events()))
    with telemetry.llm_task(task_type="planning") as task:
        task.record(openai_client(replay).responses.create(model="o4-mini", input="Plan it"))
    sdk = openai.AsyncOpenAI(api_key="test-key", base_url=replay.url + "/v1", max_retries=0)
    async with telemetry.llm_task(task_type="planning") as streamed:
        stream = streamed.wrap_stream(
            await sdk.responses.create(model="o4-mini", input="Plan it", stream=True)
        )
        kinds = [event.type async for event in stream]
    assert kinds[-1] == "response.completed"
    for recorded in (task, streamed):
        assert recorded.usage == LlmUsage(
            provider="openai",
            model=rec.O4,
            input_tokens=1200,
            output_tokens=900,
            cache_read_tokens=1000,
            reasoning_tokens=700,
        )
    events = delivered(telemetry, local_server)
    assert [e["actual_cost_usd_micros"] for e in events] == [RESPONSES_COST, RESPONSES_COST]


def test_openai_embedding_is_input_only(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    body = rec.openai_embedding()
    body["usage"] = {"prompt_tokens": 120_000, "total_tokens": 120_000}
    replay.add(Reply.json(body))
    with telemetry.llm_task(task_type="documentation") as task:
        task.record(
            openai_client(replay).embeddings.create(model="text-embedding-3-small", input="x")
        )
    # 120,000 * 0.02 USD per million = 2,400 us
    assert_event(
        only_event(telemetry, local_server),
        model="text-embedding-3-small",
        actual_input_tokens=120_000,
        actual_output_tokens=0,
        actual_cost_usd_micros=2_400,
    )


def test_openrouter_reported_cost_wins_over_the_table(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    usage = rec.openai_usage(cost=0.0123456, is_byok=False)
    body = rec.openai_completion(usage, model="anthropic/claude-sonnet-4.5", provider="Anthropic")
    replay.add(Reply.json(body))
    with telemetry.llm_task() as task:
        task.record(openai_client(replay).chat.completions.create(model="x", messages=MESSAGES))
    assert_event(
        only_event(telemetry, local_server),
        provider="openrouter",
        model="anthropic/claude-sonnet-4.5",
        actual_input_tokens=2000,
        actual_cost_usd_micros=12_346,  # 0.0123456 USD, half up; the table would say 6,975
    )


def test_mistral_through_the_openai_sdk(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
    replay.add(Reply.json(rec.openai_completion(usage, model="mistral-large-latest")))
    with telemetry.llm_task() as task:
        task.record(openai_client(replay).chat.completions.create(model="x", messages=MESSAGES))
    # mistral-large (alias mistral-large-latest): 1000*2 + 200*6 = 3,200 us
    assert_event(
        only_event(telemetry, local_server),
        provider="mistral",
        model="mistral-large-latest",
        actual_cost_usd_micros=3_200,
    )


# -- Ollama -------------------------------------------------------------------------------------


def test_ollama_chat_and_embed_cost_nothing(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(
        Reply.json(rec.ollama_final(message={"role": "assistant", "content": "Hello"})),
        Reply.json({"model": "all-minilm", "embeddings": [[0.1, 0.2]], "prompt_eval_count": 8}),
    )
    sdk = ollama.Client(host=replay.url)
    with telemetry.llm_task(harness="ollama_local") as chat:
        response = chat.record(sdk.chat(model=rec.LLAMA, messages=MESSAGES))
    with telemetry.llm_task(harness="ollama_local") as embed:
        embed.record(sdk.embed(model="all-minilm", input="Hello"))
    assert isinstance(response, ollama.ChatResponse)
    assert embed.usage == LlmUsage(provider="ollama", model="all-minilm", input_tokens=8)
    first, second = delivered(telemetry, local_server)
    assert_event(
        first,
        provider="ollama",
        model=rec.LLAMA,
        actual_input_tokens=26,
        actual_output_tokens=298,
        actual_cost_usd_micros=0,
    )
    assert_event(second, actual_input_tokens=8, actual_output_tokens=0)


async def test_ollama_async_stream_counts_from_the_done_object(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.ndjson(rec.ollama_parts()))
    sdk = ollama.AsyncClient(host=replay.url)
    async with telemetry.llm_task() as task:
        stream = task.wrap_stream(await sdk.chat(model=rec.LLAMA, messages=MESSAGES, stream=True))
        parts = [part async for part in stream]
    assert [p.done for p in parts] == [False, False, True]
    assert task.usage == LlmUsage(
        provider="ollama", model=rec.LLAMA, input_tokens=26, output_tokens=298
    )
    assert_event(only_event(telemetry, local_server), actual_output_tokens=298)


def test_ollama_absent_prompt_count_is_unknown_not_zero(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    parts = rec.ollama_parts()
    parts[-1] = rec.ollama_final(prompt_eval_count=None)  # Ollama omits it for a cached prompt
    replay.add(Reply.ndjson(parts))
    with telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            ollama.Client(host=replay.url).chat(model=rec.LLAMA, messages=MESSAGES, stream=True)
        ):
            pass
    assert task.usage is not None
    assert task.usage.status == "partial"
    assert_event(only_event(telemetry, local_server), actual_output_tokens=298)


# -- Gemini -------------------------------------------------------------------------------------


def test_gemini_adds_thoughts_and_tool_prompt(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.json(rec.gemini_response(rec.gemini_usage())))
    sdk = gemini_client(replay)  # held: the client closes its connections when collected
    with telemetry.llm_task() as task:
        task.record(sdk.models.generate_content(model=rec.GEMINI, contents="Hello"))
    assert task.usage == LlmUsage(
        provider="google",
        model=rec.GEMINI,
        input_tokens=1250,  # prompt 1200 (cached 1000 inside) + tool-use prompt 50
        output_tokens=800,  # candidates 300 + thoughts 500 (outside candidates)
        cache_read_tokens=1000,
        reasoning_tokens=500,
    )
    assert_event(
        only_event(telemetry, local_server),
        provider="google",
        actual_input_tokens=1250,
        actual_output_tokens=800,
        actual_cost_usd_micros=GEMINI_COST,
    )


async def test_gemini_async_stream_last_usage_wins(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.gemini_chunks()))
    sdk = gemini_client(replay)
    async with telemetry.llm_task() as task:
        stream = await sdk.aio.models.generate_content_stream(model=rec.GEMINI, contents="Hi")
        chunks = [chunk async for chunk in task.wrap_stream(stream)]
    assert len(chunks) == 3
    assert task.usage is not None
    assert (task.usage.output_tokens, task.usage.status) == (800, "complete")  # not 10+150+300
    assert_event(only_event(telemetry, local_server), actual_cost_usd_micros=GEMINI_COST)


def test_gemini_stream_without_a_finish_is_partial(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.gemini_chunks(finish=False)))
    sdk = gemini_client(replay)
    with telemetry.llm_task() as task:
        for _ in task.wrap_stream(
            sdk.models.generate_content_stream(model=rec.GEMINI, contents="Hi")
        ):
            pass
    assert task.usage is not None
    assert (task.usage.output_tokens, task.usage.status) == (650, "partial")
    assert_event(only_event(telemetry, local_server), actual_output_tokens=650)


def test_gemini_response_without_usage_is_missing(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.json(rec.gemini_response(None)))
    sdk = gemini_client(replay)
    with telemetry.llm_task() as task:
        task.record(sdk.models.generate_content(model=rec.GEMINI, contents="x"))
    assert task.usage is not None
    assert task.usage.status == "missing"
    assert_event(only_event(telemetry, local_server), actual_input_tokens=0, model=rec.GEMINI)


def test_openai_chat_stream_helper(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.openai_chunks(), done=True))
    sdk = openai_client(replay)
    with telemetry.llm_task() as task:
        manager = sdk.chat.completions.stream(
            **with_stream_usage(model="gpt-4o", messages=MESSAGES)
        )
        with task.wrap_stream(manager) as stream:
            kinds = {event.type for event in stream}
            final = stream.get_final_completion()
    assert {"chunk", "content.delta"} <= kinds  # the helper's own events pass through
    assert final.usage is not None
    assert task.usage is not None
    assert (task.usage.input_tokens, task.usage.cache_read_tokens) == (2000, 1500)
    assert_event(only_event(telemetry, local_server), actual_cost_usd_micros=OPENAI_COST)


async def test_openai_async_early_break_reports_once(
    replay: ReplayServer, telemetry: TelemetryClient, local_server: LocalServer
) -> None:
    replay.add(Reply.sse(rec.openai_chunks(), done=True))
    sdk = openai.AsyncOpenAI(api_key="test-key", base_url=replay.url + "/v1", max_retries=0)
    async with telemetry.llm_task() as task:
        kwargs = with_stream_usage(model="gpt-4o", messages=MESSAGES, stream=True)
        stream = task.wrap_stream(await sdk.chat.completions.create(**kwargs))
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
    await stream.close()  # after the task: closes the SDK stream, reports nothing more
    assert task.usage is not None
    assert task.usage.status == "missing"  # the usage chunk never came
    events = delivered(telemetry, local_server)
    assert len(events) == 1
    assert events[0]["model"] == rec.GPT
