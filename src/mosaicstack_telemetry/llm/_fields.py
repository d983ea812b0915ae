"""Read a field of an SDK object or of a plain dict (JSON as returned over HTTP), by duck typing."""

from __future__ import annotations

from typing import Any


def field(obj: Any, name: str, camel: str | None = None) -> Any:
    """`obj.name` or `obj[name]` (or `obj[camel]`, for JSON in camelCase); None when absent."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        value = obj.get(name)
        if value is None and camel is not None:
            value = obj.get(camel)
        return value
    value = getattr(obj, name, None)
    if value is None and camel is not None:
        value = getattr(obj, camel, None)
    return value


def count(obj: Any, name: str, camel: str | None = None) -> int | None:
    """An integer token count, or None when absent (an absent count is unknown, not 0)."""
    return as_count(field(obj, name, camel))


def as_count(value: Any) -> int | None:
    """A value as a token count (negative: 0), or None when it is absent or not a number."""
    if type(value) is int:  # the common case, first
        return value if value >= 0 else 0
    if value is None or isinstance(value, bool):
        return None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None
