"""Summary statistics for predictions: linear-interpolation percentiles, ratios and rates.

Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's
default `method="linear"`): for sorted values x[0..n-1] and quantile q, h = (n - 1) * q and the
result is x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). Integer outputs are
rounded half up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of already sorted values, by linear interpolation."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} is outside [0, 1]")
    h = (len(sorted_values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves away from zero for the non-negative values used here."""
    return math.floor(value + 0.5)


def ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator to 4 decimals; 1.0 ("no correction") when the denominator is 0."""
    if denominator <= 0:
        return 1.0
    return round(numerator / denominator, 4)


def rate(hits: int, total: int) -> float:
    """hits / total to 4 decimals; 0.0 for an empty total."""
    return round(hits / total, 4) if total else 0.0
