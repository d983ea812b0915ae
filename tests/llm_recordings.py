"""Recorded-shape provider responses and stream events (the APIs' JSON, as their docs show it).

Token counts are chosen so that each provider rule changes the result: cache tokens that must
be added (Anthropic) or must not be (OpenAI), thoughts outside candidates (Gemini), cumulative
stream usage that must not be summed (Anthropic).
"""

from __future__ import annotations

from typing import Any

from tests.llm_replay import Reply

# -- Anthropic Messages ----------------------------------------------------------------------

CLAUDE = "claude-sonnet-4-5-20250929"


def anthropic_usage(**overrides: Any) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": 100,
        "cache_creation_input_tokens": 1000,
        "cache_read_input_tokens": 2000,
        "cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 400},
        "output_tokens": 500,
        "service_tier": "standard",
    }
    usage.update(overrides)
    return usage


def anthropic_message(usage: dict[str, Any] | None = None, model: str = CLAUDE) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "Hello"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": anthropic_usage() if usage is None else usage,
    }


def anthropic_stream_events(
    *, with_delta: bool = True, error: bool = False
) -> list[tuple[str | None, Any]]:
    """message_start carries input and cache counts; message_delta repeats them cumulatively."""
    start_usage = anthropic_usage(output_tokens=1)
    start_usage.pop("service_tier")
    events: list[tuple[str | None, Any]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_01",
                    "type": "message",
                    "role": "assistant",
                    "model": CLAUDE,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    for word in ("Hel", "lo", "!"):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word},
                },
            )
        )
    if error:
        events.append(
            (
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        )
        return events
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    if with_delta:
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    # Cumulative: the same input and cache counts again, the final output count.
                    "usage": {
                        "input_tokens": 100,
                        "cache_creation_input_tokens": 1000,
                        "cache_read_input_tokens": 2000,
                        "output_tokens": 500,
                    },
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
    return events


# -- OpenAI Chat Completions, Responses, embeddings (and OpenRouter, Mistral) -------------------

GPT = "gpt-4o-2024-08-06"


def openai_usage(**overrides: Any) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": 2000,
        "completion_tokens": 300,
        "total_tokens": 2300,
        "prompt_tokens_details": {"cached_tokens": 1500, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 100,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    usage.update(overrides)
    return usage


def openai_completion(
    usage: dict[str, Any] | None = None, model: str = GPT, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": openai_usage() if usage is None else usage,
    }
    body.update(extra)
    return body


def _chunk(model: str, choices: list[Any], usage: Any = None) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def openai_chunks(
    *,
    include_usage: bool = True,
    finish: bool = True,
    model: str = GPT,
    usage: dict[str, Any] | None = None,
) -> list[tuple[str | None, Any]]:
    """Content chunks, a finish chunk, then (with include_usage) the usage chunk, choices []."""
    chunks = [
        _chunk(model, [{"index": 0, "delta": {"role": "assistant", "content": ""}}]),
        _chunk(model, [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]),
        _chunk(model, [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]),
    ]
    if finish:
        chunks.append(_chunk(model, [{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        if include_usage:
            chunks.append(_chunk(model, [], openai_usage() if usage is None else usage))
    return [(None, c) for c in chunks]


O4 = "o4-mini-2025-04-16"


def responses_usage() -> dict[str, Any]:
    return {
        "input_tokens": 1200,
        "input_tokens_details": {"cached_tokens": 1000},
        "output_tokens": 900,
        "output_tokens_details": {"reasoning_tokens": 700},
        "total_tokens": 2100,
    }


def responses_response(status: str = "completed", usage: Any = "default") -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": status,
        "model": O4,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": responses_usage() if usage == "default" else usage,
    }


def responses_events(*, complete: bool = True) -> list[tuple[str | None, Any]]:
    created = responses_response("in_progress", usage=None)
    created["output"] = []
    events: list[tuple[str | None, Any]] = [
        (
            "response.created",
            {"type": "response.created", "sequence_number": 0, "response": created},
        ),
        (
            "response.output_text.delta",
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": "Hello",
            },
        ),
    ]
    if complete:
        events.append(
            (
                "response.completed",
                {
                    "type": "response.completed",
                    "sequence_number": 2,
                    "response": responses_response(),
                },
            )
        )
    return events


def openai_embedding() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }


# -- Ollama ---------------------------------------------------------------------------------------

LLAMA = "llama3.2:3b"


def ollama_final(**overrides: Any) -> dict[str, Any]:
    final: dict[str, Any] = {
        "model": LLAMA,
        "created_at": "2026-11-30T10:00:00.000000Z",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "total_duration": 5_000_000_000,
        "load_duration": 1_000_000,
        "prompt_eval_count": 26,
        "prompt_eval_duration": 100_000_000,
        "eval_count": 298,
        "eval_duration": 4_000_000_000,
    }
    final.update(overrides)
    return {k: v for k, v in final.items() if v is not None}


def ollama_parts(*, finish: bool = True) -> list[dict[str, Any]]:
    parts = [
        {
            "model": LLAMA,
            "created_at": "2026-11-30T10:00:00.000000Z",
            "message": {"role": "assistant", "content": word},
            "done": False,
        }
        for word in ("Hel", "lo")
    ]
    if finish:
        parts.append(ollama_final())
    return parts


# -- Gemini ---------------------------------------------------------------------------------------

GEMINI = "gemini-2.5-pro"


def gemini_usage(**overrides: Any) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": 1200,
        "candidatesTokenCount": 300,
        "cachedContentTokenCount": 1000,
        "thoughtsTokenCount": 500,
        "toolUsePromptTokenCount": 50,
        "totalTokenCount": 2050,
    }
    usage.update(overrides)
    return usage


def gemini_response(
    usage: dict[str, Any] | None = None, finish: str | None = "STOP", text: str = "Hello"
) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "index": 0,
    }
    if finish is not None:
        candidate["finishReason"] = finish
    body: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": GEMINI,
        "responseId": "resp-1",
    }
    if usage is not None:
        body["usageMetadata"] = usage
    return body


def gemini_chunks(*, finish: bool = True) -> list[tuple[str | None, Any]]:
    """Every chunk carries usageMetadata so far; the last one is the total."""
    chunks = [
        gemini_response(gemini_usage(candidatesTokenCount=10, totalTokenCount=1760), None, "Hel"),
        gemini_response(gemini_usage(candidatesTokenCount=150, totalTokenCount=1900), None, "lo"),
    ]
    if finish:
        chunks.append(gemini_response(gemini_usage(), "STOP", "!"))
    return [(None, c) for c in chunks]


def stream_reply(events: list[tuple[str | None, Any]], **options: Any) -> Reply:
    return Reply.sse(events, **options)
