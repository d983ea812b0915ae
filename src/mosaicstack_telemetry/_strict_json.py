"""Validate JSON the way JSON Schema types it, with pydantic's strict mode.

JSON Schema's `integer` includes integral numbers written as floats (`5.0`) but not strings or
booleans; pydantic's lax mode accepts `"5"` and `false`, and its strict mode rejects `5.0`.
Parsing with integral floats turned into ints, then validating strictly, gives JSON Schema's
answer. Non-standard constants (`NaN`, `Infinity`) are not JSON and are refused, and so are
documents nested deeper than `MAX_DEPTH` and strings holding a lone surrogate (the JSON escape
`"\\ud800"`, which no UTF-8 text can hold).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)

# The deepest valid document is 4 levels ({"events": [{"quality_gates_run": [...]}]}); this
# leaves room while keeping every later step (validation, re-serializing) far from recursion.
MAX_DEPTH = 32


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not valid JSON")


def _check(data: Any) -> None:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("a string contains a lone surrogate") from None
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def loads(raw: str | bytes) -> Any:
    """Parse JSON, integral floats as ints; ValueError for invalid JSON, NaN/Infinity, nesting
    deeper than MAX_DEPTH or a lone surrogate."""
    try:
        data = json.loads(raw, parse_float=_number, parse_constant=_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    _check(data)
    return data


def validate(model: type[_Model], data: Any) -> _Model:
    """Strictly validate data parsed by `loads` (raises pydantic.ValidationError)."""
    # Through JSON again so strict mode still takes strings for UUIDs, datetimes and enums.
    return model.model_validate_json(json.dumps(data), strict=True)
