"""Model prices: the bundled table (prices.json), lookups, overrides and LiteLLM price files.

Rates are integers, in microdollars per million tokens (USD per million tokens x 1,000,000), so
cost arithmetic stays exact until its one rounding (see `_cost.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

# Dated snapshots: Anthropic's -20250929, OpenAI's -2024-08-06, Mistral's -2411 (YYMM).
_SNAPSHOT = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{2}(?:0[1-9]|1[0-2]))$")

_RATE_NAMES = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning")


@dataclass(frozen=True, slots=True)
class Rates:
    """Microdollars per million tokens of each kind."""

    input: int
    output: int
    cache_read: int
    cache_write_5m: int
    cache_write_1h: int
    reasoning: int


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Rates that apply to a call whose input exceeds `above_input_tokens` (e.g. 200k)."""

    above_input_tokens: int
    rates: Rates


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """A model's rates in microdollars per million tokens, with optional tiers."""

    provider: str
    input: int
    output: int
    cache_read: int | None = None
    cache_write_5m: int | None = None
    cache_write_1h: int | None = None
    reasoning: int | None = None
    tiers: tuple[PriceTier, ...] = ()
    _base: Rates | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: cost_micros runs for every recorded call.
        object.__setattr__(self, "_base", self.base_rates())
        ordered = tuple(sorted(self.tiers, key=lambda t: t.above_input_tokens))
        object.__setattr__(self, "tiers", ordered)

    def rates_for(self, input_tokens: int) -> Rates:
        """The rates for a call with this many input tokens (the highest tier it exceeds)."""
        chosen = self._base or self.base_rates()
        for tier in self.tiers:
            if input_tokens > tier.above_input_tokens:
                chosen = tier.rates
        return chosen

    def base_rates(self) -> Rates:
        """The rates below every tier; an absent rate is the input (or output) rate."""
        return Rates(
            input=self.input,
            output=self.output,
            cache_read=self.input if self.cache_read is None else self.cache_read,
            cache_write_5m=self.input if self.cache_write_5m is None else self.cache_write_5m,
            cache_write_1h=self.input if self.cache_write_1h is None else self.cache_write_1h,
            reasoning=self.output if self.reasoning is None else self.reasoning,
        )


@dataclass(frozen=True)
class PriceTable:
    """Model prices by model id, with aliases; `lookup()` never guesses by prefix."""

    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    date: str = ""
    _found: dict[str, ModelPrice | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def bundled(cls) -> PriceTable:
        """The table shipped with this package (prices.json: its source and date inside)."""
        return _bundled()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        """A table in this package's prices.json format."""
        prices: dict[str, ModelPrice] = {}
        aliases: dict[str, str] = {}
        for model, entry in data.get("models", {}).items():
            prices[model] = _price_from_entry(entry)
            for alias in entry.get("aliases", ()):
                aliases[alias] = model
        return cls(prices, aliases, str(data.get("source", "")), str(data.get("date", "")))

    @classmethod
    def from_litellm(cls, source: str | Path | Mapping[str, Any]) -> PriceTable:
        """A table from LiteLLM's `model_prices_and_context_window.json` (a path or its dict)."""
        if isinstance(source, Mapping):
            data: Mapping[str, Any] = source
            origin = "LiteLLM price data"
        else:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
            origin = f"LiteLLM price file {source}"
        prices = {}
        for model, entry in data.items():
            if model == "sample_spec" or not isinstance(entry, Mapping):
                continue
            price = _price_from_litellm(entry)
            if price is not None:
                prices[model] = price
        return cls(prices, {}, origin, "")

    def with_overrides(self, overrides: Mapping[str, ModelPrice]) -> PriceTable:
        """This table with some models' prices replaced or added."""
        return replace(self, prices={**self.prices, **overrides})

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with every price of `other` on top (e.g. a LiteLLM file over the bundle)."""
        return PriceTable(
            {**self.prices, **other.prices},
            {**self.aliases, **other.aliases},
            other.source or self.source,
            other.date or self.date,
        )

    def lookup(self, model: str) -> ModelPrice | None:
        """Exact id, then a declared alias, then the id without its dated-snapshot suffix."""
        try:
            return self._found[model]
        except KeyError:
            pass
        price = self._search(model)
        if len(self._found) < 4096:  # model ids are few; a bound all the same
            self._found[model] = price
        return price

    def _search(self, model: str) -> ModelPrice | None:
        for candidate in (model, _SNAPSHOT.sub("", model)):
            price = self.prices.get(candidate)
            if price is None and candidate in self.aliases:
                price = self.prices.get(self.aliases[candidate])
            if price is not None:
                return price
        return None


@cache
def _bundled() -> PriceTable:
    text = resources.files(__package__).joinpath("prices.json").read_text(encoding="utf-8")
    return PriceTable.from_dict(json.loads(text))


def _price_from_entry(entry: Mapping[str, Any]) -> ModelPrice:
    base = ModelPrice(
        provider=str(entry.get("provider", "unknown")),
        input=int(entry["input"]),
        output=int(entry["output"]),
        **_optional_rates({name: entry.get(name) for name in _RATE_NAMES[2:]}),
    )
    return replace(base, tiers=tuple(_tier(base, tier) for tier in entry.get("tiers", ())))


def _optional_rates(rates: Mapping[str, Any]) -> dict[str, Any]:
    return {name: int(rate) for name, rate in rates.items() if rate is not None}


def _tier(base: ModelPrice, tier: Mapping[str, Any]) -> PriceTier:
    given = {name: int(tier[name]) for name in _RATE_NAMES if tier.get(name) is not None}
    return PriceTier(int(tier["above_input_tokens"]), _tier_rates(base, given))


def _tier_rates(base: ModelPrice, given: dict[str, int]) -> Rates:
    # Reasoning is output unless priced on its own: in a tier, at the tier's output rate.
    if base.reasoning is None and "reasoning" not in given and "output" in given:
        given = {**given, "reasoning": given["output"]}
    return replace(base.base_rates(), **given)


# LiteLLM's per-token USD keys for each of our rates; `_above_200k_tokens` variants are a tier.
_LITELLM_KEYS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write_5m": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "reasoning": "output_cost_per_reasoning_token",
}
_LITELLM_TIER = re.compile(r"^(.*)_above_(\d+)k_tokens$")


def per_token_usd_to_rate(value: Any) -> int | None:
    """USD per token (LiteLLM's unit) in microdollars per million tokens, rounded half up."""
    if value is None or isinstance(value, bool):
        return None
    try:
        rate = Decimal(str(value)) * 1_000_000_000_000
    except InvalidOperation:
        return None
    if not rate.is_finite() or rate < 0:
        return None
    return int(rate.to_integral_value(rounding="ROUND_HALF_UP"))


def _price_from_litellm(entry: Mapping[str, Any]) -> ModelPrice | None:
    rates = {name: per_token_usd_to_rate(entry.get(key)) for name, key in _LITELLM_KEYS.items()}
    input_rate, output_rate = rates.pop("input"), rates.pop("output")
    if input_rate is None:
        return None  # priced per image, per second...: not a token model
    base = ModelPrice(
        provider=str(entry.get("litellm_provider", "unknown")),
        input=input_rate,
        output=output_rate or 0,
        **_optional_rates(rates),
    )
    thresholds: dict[int, dict[str, int]] = {}
    for key, value in entry.items():
        match = _LITELLM_TIER.match(key)
        if match is None:
            continue
        name = next((n for n, k in _LITELLM_KEYS.items() if k == match.group(1)), None)
        rate = per_token_usd_to_rate(value)
        if name is not None and rate is not None:
            thresholds.setdefault(int(match.group(2)) * 1000, {})[name] = rate
    tiers = tuple(
        PriceTier(above, _tier_rates(base, given)) for above, given in sorted(thresholds.items())
    )
    return replace(base, tiers=tiers)
