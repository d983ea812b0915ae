"""Cost in integer microdollars from a usage breakdown and a model's rates."""

from __future__ import annotations

from ._prices import ModelPrice
from ._usage import LlmUsage

TOKENS_PER_RATE = 1_000_000  # rates are per million tokens


def cost_micros(usage: LlmUsage, price: ModelPrice) -> int:
    """The cost of one call in microdollars.

    Each kind of token is charged at its own rate: uncached input, cache reads, 5-minute and
    1-hour cache writes, reasoning output and the rest of the output, with the rates of the
    tier the call's input falls in. The sum is exact (integers: tokens x microdollars per
    million tokens); the one rounding divides it by a million, half up, to whole microdollars.
    """
    rates = price.rates_for(usage.input_tokens)
    cached = usage.cache_read_tokens + usage.cache_write_5m_tokens + usage.cache_write_1h_tokens
    uncached = max(0, usage.input_tokens - cached)
    reasoning = min(usage.reasoning_tokens, usage.output_tokens)
    total = (
        uncached * rates.input
        + usage.cache_read_tokens * rates.cache_read
        + usage.cache_write_5m_tokens * rates.cache_write_5m
        + usage.cache_write_1h_tokens * rates.cache_write_1h
        + (usage.output_tokens - reasoning) * rates.output
        + reasoning * rates.reasoning
    )
    return (total + TOKENS_PER_RATE // 2) // TOKENS_PER_RATE
