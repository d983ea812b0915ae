"""LlmUsage, and the per-provider rules that turn a usage object into one.

Every count here is *all* of its kind: `input_tokens` is every input token the call consumed
(uncached + cache read + cache write), `output_tokens` every billed output token (reasoning
included). The provider-specific parts (`cache_*`, `reasoning_tokens`) are subsets of those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ._fields import as_count, count, field

UsageStatus = Literal["complete", "partial", "missing"]

# The shape families: which SDK's (or HTTP API's) objects an item looks like.
ANTHROPIC, OPENAI, OLLAMA, GOOGLE = "anthropic", "openai", "ollama", "google"

_ANTHROPIC_EVENTS = frozenset(
    {
        "message",
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
        # Extra events of the SDK's messages.stream() helper.
        "text",
        "thinking",
        "signature",
        "input_json",
        "citation",
    }
)
_OPENAI_OBJECTS = frozenset(
    {"chat.completion", "chat.completion.chunk", "response", "list", "text_completion"}
)


@dataclass(frozen=True, slots=True)
class LlmUsage:
    """Token usage of one LLM call (or the sum over a task), normalized across providers."""

    provider: str
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    status: UsageStatus = "complete"
    reported_cost_usd_micros: int | None = None

    @property
    def cache_write_tokens(self) -> int:
        """All cache-write tokens (5-minute and 1-hour)."""
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    def __add__(self, other: LlmUsage) -> LlmUsage:
        """The sum of two calls' usage; the later call's model and provider win."""
        statuses = {self.status, other.status}
        status: UsageStatus = (
            statuses.pop() if len(statuses) == 1 else "partial"
        )  # complete + missing: some of the task's usage is unknown
        costs = (self.reported_cost_usd_micros, other.reported_cost_usd_micros)
        return LlmUsage(
            provider=other.provider,
            model=other.model or self.model,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens + other.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            status=status,
            reported_cost_usd_micros=None if None in costs else sum(c or 0 for c in costs),
        )


def _status(*counts: int | None) -> UsageStatus:
    known = sum(c is not None for c in counts)
    return "complete" if known == len(counts) else "partial" if known else "missing"


def _model(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- one function per provider's usage object ---------------------------------------------------


def anthropic_usage(usage: Any, model: str | None, provider: str = ANTHROPIC) -> LlmUsage:
    """Anthropic Messages `usage`: `input_tokens` excludes the cache tokens, so add them."""
    get: Callable[[str], Any]
    if isinstance(usage, dict):
        get = usage.get
    else:

        def get(name: str) -> Any:
            return getattr(usage, name, None)

    uncached = as_count(get("input_tokens"))
    output = as_count(get("output_tokens"))
    cache_read = as_count(get("cache_read_input_tokens")) or 0
    cache_write = as_count(get("cache_creation_input_tokens")) or 0
    breakdown = get("cache_creation")
    write_1h = 0
    if breakdown is not None:
        write_1h = min(count(breakdown, "ephemeral_1h_input_tokens") or 0, cache_write)
    details = get("output_tokens_details")
    return LlmUsage(
        provider,
        model,
        (uncached or 0) + cache_read + cache_write,
        output or 0,
        cache_read,
        cache_write - write_1h,  # 5 minutes is the default TTL
        write_1h,
        0 if details is None else count(details, "thinking_tokens") or 0,
        _status(uncached, output),
    )


def openai_usage(usage: Any, model: str | None, provider: str = OPENAI) -> LlmUsage:
    """OpenAI-shaped `usage` (Chat Completions, Responses, embeddings; OpenRouter, Mistral).

    Cached tokens are already inside the input total and reasoning tokens inside the output
    total: they are reported as subsets, never added again.
    """
    chat_input = count(usage, "prompt_tokens")
    if chat_input is not None or count(usage, "completion_tokens") is not None:
        input_tokens, output = chat_input, count(usage, "completion_tokens")
        in_details = field(usage, "prompt_tokens_details")
        out_details = field(usage, "completion_tokens_details")
    else:  # the Responses API
        input_tokens, output = count(usage, "input_tokens"), count(usage, "output_tokens")
        in_details = field(usage, "input_tokens_details")
        out_details = field(usage, "output_tokens_details")
    if output is None and input_tokens is not None:
        output = 0  # an embedding: input only
    return LlmUsage(
        provider=provider,
        model=model,
        input_tokens=input_tokens or 0,
        output_tokens=output or 0,
        cache_read_tokens=count(in_details, "cached_tokens") or 0,
        cache_write_5m_tokens=count(in_details, "cache_write_tokens") or 0,
        reasoning_tokens=count(out_details, "reasoning_tokens") or 0,
        status=_status(input_tokens, output),
        reported_cost_usd_micros=usd_to_micros(field(usage, "cost")),
    )


def ollama_usage(final: Any, provider: str = OLLAMA) -> LlmUsage:
    """Ollama chat/generate/embed: `prompt_eval_count` in, `eval_count` out; absent is unknown."""
    prompt = count(final, "prompt_eval_count")
    output = count(final, "eval_count")
    if output is None and field(final, "embeddings") is not None:
        output = 0  # an embedding: input only
    return LlmUsage(
        provider=provider,
        model=_model(field(final, "model")),
        input_tokens=prompt or 0,
        output_tokens=output or 0,
        status=_status(prompt, output),
    )


def gemini_usage(metadata: Any, model: str | None, provider: str = GOOGLE) -> LlmUsage:
    """Gemini `usage_metadata`: thoughts are outside the candidates count, so add them."""
    prompt = count(metadata, "prompt_token_count", "promptTokenCount")
    tool_prompt = count(metadata, "tool_use_prompt_token_count", "toolUsePromptTokenCount") or 0
    candidates = count(metadata, "candidates_token_count", "candidatesTokenCount")
    thoughts = count(metadata, "thoughts_token_count", "thoughtsTokenCount") or 0
    if candidates is None and prompt is not None:
        candidates = 0  # an embedding, or a response that generated nothing
    return LlmUsage(
        provider=provider,
        model=model,
        input_tokens=(prompt or 0) + tool_prompt,
        output_tokens=(candidates or 0) + thoughts,
        cache_read_tokens=count(metadata, "cached_content_token_count", "cachedContentTokenCount")
        or 0,
        reasoning_tokens=thoughts,
        status=_status(prompt, candidates),
    )


def usd_to_micros(value: Any) -> int | None:
    """A provider-reported cost in USD (OpenRouter's `usage.cost`) in microdollars, half up."""
    if value is None or isinstance(value, bool):
        return None
    try:
        micros = Decimal(str(value)) * 1_000_000
    except InvalidOperation:
        return None
    if not micros.is_finite() or micros < 0:
        return None
    return int(micros.to_integral_value(rounding="ROUND_HALF_UP"))


# -- recognising shapes ----------------------------------------------------------------------


def family_of(item: Any) -> str | None:
    """Which provider's shape a response or stream item has: anthropic, openai, google, ollama."""
    kind = field(item, "type")
    if isinstance(kind, str):
        if kind in _ANTHROPIC_EVENTS:
            return ANTHROPIC
        if kind == "chunk" or kind.startswith("response."):
            return OPENAI  # the SDK's stream helpers' events, the Responses API's events
    if field(item, "object") in _OPENAI_OBJECTS:
        return OPENAI
    if (
        field(item, "usage_metadata", "usageMetadata") is not None
        or field(item, "candidates") is not None
        or field(item, "model_version", "modelVersion") is not None
    ):
        return GOOGLE
    if field(item, "done") is not None or field(item, "eval_count") is not None:
        return OLLAMA
    if field(item, "prompt_eval_count") is not None:
        return OLLAMA
    usage = field(item, "usage")
    if count(usage, "prompt_tokens") is not None or count(usage, "total_tokens") is not None:
        return OPENAI  # an OpenAI-compatible server's JSON without `object`
    if count(usage, "input_tokens") is not None:
        return ANTHROPIC
    return None


def openai_provider(response: Any, usage: Any) -> str:
    """OpenRouter answers in OpenAI's shape, plus a `provider` field or a `usage.cost`."""
    if field(response, "provider") is not None or field(usage, "cost") is not None:
        return "openrouter"
    return OPENAI


def usage_from(response: Any, provider: str | None = None) -> LlmUsage:
    """The LlmUsage of a non-streamed response (an SDK object or its JSON as a dict)."""
    family = family_of(response) or family_for_provider(provider)
    if family == ANTHROPIC:
        return anthropic_usage(
            field(response, "usage"), _model(field(response, "model")), provider or ANTHROPIC
        )
    if family == OPENAI:
        usage = field(response, "usage")
        if usage is None and field(response, "type") == "response.completed":
            response = field(response, "response")
            usage = field(response, "usage")
        chosen = provider or openai_provider(response, usage)
        return openai_usage(usage, _model(field(response, "model")), chosen)
    if family == GOOGLE:
        model = _model(field(response, "model_version", "modelVersion"))
        metadata = field(response, "usage_metadata", "usageMetadata")
        return gemini_usage(metadata, model, provider or GOOGLE)
    if family == OLLAMA:
        return ollama_usage(response, provider or OLLAMA)
    return LlmUsage(provider=provider or "unknown", status="missing")


def family_for_provider(provider: str | None) -> str | None:
    """The shape family a provider answers in (OpenRouter and Mistral: OpenAI's)."""
    return {
        "anthropic": ANTHROPIC,
        "openai": OPENAI,
        "openrouter": OPENAI,
        "mistral": OPENAI,
        "ollama": OLLAMA,
        "google": GOOGLE,
    }.get(provider or "")
