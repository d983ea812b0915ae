"""Canonical JSON, as docs/parity.md defines it, so that two serializers can be compared.

Sorted keys, no whitespace; RFC 3339 timestamps rewritten in UTC with `Z` and without trailing
zeros in the fraction; integral numbers written as integers (`1.0` and `1` are the same value
on the wire), other numbers as their shortest round-trip decimal, never in exponent notation.
parity/ts/canonical.mjs is the same function for the TypeScript runner.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def timestamp(text: str) -> str:
    """An RFC 3339 date-time in UTC with `Z`; other strings are returned unchanged."""
    match = _TIMESTAMP.match(text)
    if match is None:
        return text
    date, clock, fraction, zone = match.groups()
    offset = "+00:00" if zone in ("Z", "z") else zone
    when = datetime.fromisoformat(f"{date}T{clock}{offset}").astimezone(timezone.utc)
    digits = (fraction or "").rstrip("0")
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"


def number(value: int | float) -> str:
    """Integral values as integers, others as the shortest round-trip plain decimal."""
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a JSON number")
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def dumps(value: Any) -> str:
    """The canonical JSON text of a parsed JSON value."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return json.dumps(timestamp(value), ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{dumps(v)}" for k, v in items)
            + "}"
        )
    raise TypeError(f"not a JSON value: {type(value).__name__}")


_MISSING = "<missing>"


def differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Each place where two JSON values differ canonically, as `path: expected X, got Y`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                found.append(f"{path}.{key}: expected {dumps(expected[key])}, got {_MISSING}")
            elif key not in expected:
                found.append(f"{path}.{key}: expected {_MISSING}, got {dumps(actual[key])}")
            else:
                found += differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found += differences(left, right, f"{path}[{index}]")
        return found
    if dumps(expected) != dumps(actual):
        return [f"{path}: expected {dumps(expected)}, got {dumps(actual)}"]
    return []
