"""LLM instrumentation: usage, cost and task events from Anthropic, OpenAI, Ollama, Gemini,
OpenRouter and Mistral responses and streams.

Provider objects are recognised by their shape (and plain dicts as returned over HTTP work
too), so this package never imports a provider SDK. Start with `client.llm_task(...)`;
docs/llm.md has an example per provider. Names load on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._accumulate import (
        AnthropicAccumulator,
        GeminiAccumulator,
        OllamaAccumulator,
        OpenAIAccumulator,
        UsageAccumulator,
        accumulator_for,
    )
    from ._cost import cost_micros
    from ._options import with_stream_usage
    from ._prices import ModelPrice, PriceTable, PriceTier, Rates
    from ._pricing import default_prices, use_prices
    from ._stream import wrap_stream
    from ._task import LlmTask
    from ._task_type import infer_task_type
    from ._usage import LlmUsage, UsageStatus, usage_from

_WHERE = {
    "AnthropicAccumulator": "._accumulate",
    "GeminiAccumulator": "._accumulate",
    "LlmTask": "._task",
    "LlmUsage": "._usage",
    "ModelPrice": "._prices",
    "OllamaAccumulator": "._accumulate",
    "OpenAIAccumulator": "._accumulate",
    "PriceTable": "._prices",
    "PriceTier": "._prices",
    "Rates": "._prices",
    "UsageAccumulator": "._accumulate",
    "UsageStatus": "._usage",
    "accumulator_for": "._accumulate",
    "cost_micros": "._cost",
    "default_prices": "._pricing",
    "infer_task_type": "._task_type",
    "usage_from": "._usage",
    "use_prices": "._pricing",
    "with_stream_usage": "._options",
    "wrap_stream": "._stream",
}

__all__ = [
    "AnthropicAccumulator",
    "GeminiAccumulator",
    "LlmTask",
    "LlmUsage",
    "ModelPrice",
    "OllamaAccumulator",
    "OpenAIAccumulator",
    "PriceTable",
    "PriceTier",
    "Rates",
    "UsageAccumulator",
    "UsageStatus",
    "accumulator_for",
    "cost_micros",
    "default_prices",
    "infer_task_type",
    "usage_from",
    "use_prices",
    "with_stream_usage",
    "wrap_stream",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
