"""One pure UsageAccumulator per provider: the single home of the streaming usage rules.

Feed it every streamed item (SDK objects or their JSON as dicts), then ask for `result()`.
The rules the best-known libraries get wrong, each kept here and nowhere else:

- Anthropic: `message_delta` usage is cumulative and *replaces* `message_start`'s values field
  by field; summing them double counts.
- OpenAI (and OpenRouter, Mistral): usage arrives only with `stream_options={"include_usage":
  True}`, on an extra final chunk whose `choices` is empty; its values are totals.
- Gemini: every chunk may carry `usage_metadata`; the last one wins.
- Ollama: the counts are on the final (`done: true`) object; an absent count is unknown.
- A stream cut off before its usage arrived is `partial` or `missing`, never a confident 0.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from ._fields import field
from ._usage import (
    ANTHROPIC,
    GOOGLE,
    OLLAMA,
    OPENAI,
    LlmUsage,
    UsageStatus,
    anthropic_usage,
    gemini_usage,
    ollama_usage,
    openai_provider,
    openai_usage,
)

_ANTHROPIC_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation",
    "output_tokens_details",
)
_RESPONSE_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)


class UsageAccumulator(Protocol):
    """Turns a provider's stream items into one LlmUsage."""

    def feed(self, item: Any) -> None:
        """Take one streamed item into account."""

    def result(self) -> LlmUsage:
        """The usage so far, with `status` saying whether it is complete."""


class AnthropicAccumulator:
    """Anthropic Messages streams (raw events, or the `messages.stream()` helper's events)."""

    __slots__ = ("_complete", "_model", "_provider", "_usage")

    def __init__(self, provider: str = ANTHROPIC) -> None:
        self._provider = provider
        self._model: str | None = None
        self._usage: dict[str, Any] | None = None
        self._complete = False

    def feed(self, item: Any) -> None:
        kind = item.get("type") if isinstance(item, dict) else getattr(item, "type", None)
        if kind == "content_block_delta":
            return  # the most frequent event, and it carries no usage
        if kind == "message_delta":
            # Cumulative: each present field replaces the value so far (never add).
            self._replace(field(item, "usage"))
            self._complete = True
        elif kind == "message_start":
            self._start(field(item, "message"))
        elif kind == "message":
            # A whole message (the helper's snapshot): final only once it has a stop_reason.
            self._start(item)
            self._complete = field(item, "stop_reason") is not None

    def _start(self, message: Any) -> None:
        model = field(message, "model")
        if isinstance(model, str) and model:
            self._model = model
        self._usage = {}
        self._replace(field(message, "usage"))

    def _replace(self, usage: Any) -> None:
        if usage is None:
            return
        if self._usage is None:
            self._usage = {}
        for name in _ANTHROPIC_USAGE_FIELDS:
            value = field(usage, name)
            if value is not None:
                self._usage[name] = value

    def result(self) -> LlmUsage:
        if self._usage is None:
            return LlmUsage(provider=self._provider, model=self._model, status="missing")
        usage = anthropic_usage(self._usage, self._model, self._provider)
        if self._complete or usage.status != "complete":
            return usage
        return _with_status(usage, "partial")  # cut off after message_start: output unknown


class OpenAIAccumulator:
    """OpenAI-shaped streams: Chat Completions chunks, the SDK helpers' events, Responses events."""

    __slots__ = ("_model", "_provider", "_response", "_usage")

    def __init__(self, provider: str | None = None) -> None:
        self._provider = provider
        self._model: str | None = None
        self._usage: Any = None
        self._response: Any = None

    def feed(self, item: Any) -> None:
        if isinstance(item, dict):
            usage, kind = item.get("usage"), item.get("type")
        else:  # SDK objects: the per-chunk path, kept to two attribute reads
            usage, kind = getattr(item, "usage", None), getattr(item, "type", None)
        if kind is not None:
            if kind == "chunk":  # chat.completions.stream(): the raw chunk rides along
                item = field(item, "chunk")
            elif kind in _RESPONSE_EVENTS:
                item = field(item, "response")
            else:
                return  # content deltas and the like carry no usage
            usage = field(item, "usage")
        if usage is not None:
            self._usage = usage  # totals, not deltas: the last one wins
        elif self._response is not None:
            return  # an ordinary chunk: its model is known already
        if field(item, "model"):
            self._model = field(item, "model")
            self._response = item

    def result(self) -> LlmUsage:
        provider = self._provider or openai_provider(self._response, self._usage)
        if self._usage is None:
            # No usage chunk: the request lacked include_usage, or the stream was cut off.
            return LlmUsage(provider=provider, model=self._model, status="missing")
        return openai_usage(self._usage, self._model, provider)


class OllamaAccumulator:
    """Ollama chat/generate streams: the counts are on the final `done: true` object."""

    __slots__ = ("_final", "_model", "_provider")

    def __init__(self, provider: str = OLLAMA) -> None:
        self._provider = provider
        self._model: str | None = None
        self._final: Any = None

    def feed(self, item: Any) -> None:
        if field(item, "done"):
            self._final = item
        elif self._model is None:
            self._model = field(item, "model")

    def result(self) -> LlmUsage:
        if self._final is None:
            return LlmUsage(provider=self._provider, model=self._model, status="missing")
        return ollama_usage(self._final, self._provider)


class GeminiAccumulator:
    """Gemini `generate_content_stream`: the last `usage_metadata` wins."""

    __slots__ = ("_finished", "_metadata", "_model", "_provider")

    def __init__(self, provider: str = GOOGLE) -> None:
        self._provider = provider
        self._model: str | None = None
        self._metadata: Any = None
        self._finished = False

    def feed(self, item: Any) -> None:
        metadata = field(item, "usage_metadata", "usageMetadata")
        if metadata is not None:
            self._metadata = metadata
        model = field(item, "model_version", "modelVersion")
        if model:
            self._model = model
        for candidate in field(item, "candidates") or ():
            if field(candidate, "finish_reason", "finishReason") is not None:
                self._finished = True

    def result(self) -> LlmUsage:
        if self._metadata is None:
            return LlmUsage(provider=self._provider, model=self._model, status="missing")
        usage = gemini_usage(self._metadata, self._model, self._provider)
        if self._finished or usage.status != "complete":
            return usage
        return _with_status(usage, "partial")  # counts so far, but the stream did not finish


def _with_status(usage: LlmUsage, status: UsageStatus) -> LlmUsage:
    return replace(usage, status=status)


def accumulator_for(family: str, provider: str | None = None) -> UsageAccumulator:
    """A fresh accumulator for a shape family (anthropic, openai, ollama, google)."""
    if family == ANTHROPIC:
        return AnthropicAccumulator(provider or ANTHROPIC)
    if family == OPENAI:
        return OpenAIAccumulator(provider)
    if family == OLLAMA:
        return OllamaAccumulator(provider or OLLAMA)
    if family == GOOGLE:
        return GeminiAccumulator(provider or GOOGLE)
    raise ValueError(f"no usage accumulator for {family!r}")


__all__ = [
    "AnthropicAccumulator",
    "GeminiAccumulator",
    "OllamaAccumulator",
    "OpenAIAccumulator",
    "UsageAccumulator",
    "accumulator_for",
]
