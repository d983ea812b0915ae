"""Pricing one call: which provider it belongs to, its cost, and the default price table."""

from __future__ import annotations

from .._generated.models import Provider
from ._cost import cost_micros
from ._prices import PriceTable
from ._usage import OLLAMA, OPENAI, LlmUsage

PROVIDERS = frozenset(p.value for p in Provider)
_FREE_PROVIDERS = frozenset({OLLAMA})  # local models: no per-token price

_default_prices: PriceTable | None = None


def use_prices(table: PriceTable | None) -> None:
    """Make `table` the default price table of every llm_task (None: back to the bundled one)."""
    global _default_prices
    _default_prices = table


def default_prices() -> PriceTable:
    """The price table llm_task uses when none is passed."""
    return _default_prices or PriceTable.bundled()


def resolve_provider(usage: LlmUsage, given: str | None, table: PriceTable) -> str:
    """The caller's provider; else, for OpenAI's shape, the table's (Mistral, OpenRouter ids)."""
    if given:
        return given
    if usage.provider == OPENAI and usage.model:
        price = table.lookup(usage.model)
        if price is not None and price.provider in PROVIDERS:
            return price.provider
    return usage.provider


def call_cost(usage: LlmUsage, provider: str, model: str | None, table: PriceTable) -> int | None:
    """One call's cost in microdollars; None when the model has no price (it then costs 0)."""
    if usage.reported_cost_usd_micros is not None:
        return usage.reported_cost_usd_micros  # the provider's own figure wins
    if provider in _FREE_PROVIDERS:
        return 0
    price = table.lookup(model) if model else None
    return None if price is None else cost_micros(usage, price)
