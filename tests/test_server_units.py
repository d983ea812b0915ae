"""Pieces of the local server without HTTP: percentiles, the rate limiter, keys."""

from __future__ import annotations

import pytest

from mosaicstack_telemetry.server._keys import bearer_token, hash_key
from mosaicstack_telemetry.server._ratelimit import RateLimiter
from mosaicstack_telemetry.server._stats import percentile, rate, ratio, round_half_up


def test_percentiles_interpolate_linearly_like_numpy_default() -> None:
    values = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    # numpy.percentile(values, [10, 25, 50, 75, 90]) == [190, 325, 550, 775, 910]
    got = [percentile(values, q) for q in (0.10, 0.25, 0.50, 0.75, 0.90)]
    assert got == pytest.approx([190, 325, 550, 775, 910])
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2], 0.5) == 1.5
    assert percentile(values, 0.0) == 100
    assert percentile(values, 1.0) == 1000


def test_percentile_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="outside"):
        percentile([1], 1.5)


def test_rounding_ratios_and_rates() -> None:
    assert [round_half_up(x) for x in (1.5, 2.5, 2.4999, 0.0)] == [2, 3, 2, 0]
    assert ratio(150, 100) == 1.5
    assert ratio(5, 0) == 1.0  # nothing estimated: no correction, not a division by zero
    assert ratio(1, 3) == 0.3333
    assert rate(1, 4) == 0.25
    assert rate(0, 0) == 0.0


def test_token_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one token a second, burst of 60
    assert all(limiter.acquire("k") is None for _ in range(60))
    wait = limiter.acquire("k")
    assert wait == pytest.approx(1.0)
    now[0] = 0.5
    assert limiter.acquire("k") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.acquire("k") is None
    assert limiter.acquire("other") is None


def test_bearer_token_parsing() -> None:
    key = "0123456789abcdef" * 4
    assert bearer_token(f"Bearer {key}") == key
    assert bearer_token(f"bearer   {key} ") == key
    assert bearer_token(None) is None
    assert bearer_token(key) is None
    assert bearer_token(f"Bearer {key}0") is None
    assert hash_key(key) == hash_key(key.upper()) != key
