"""Validate JSON the way JSON Schema types it, with pydantic's strict mode.

JSON Schema's `integer` includes integral numbers written as floats (`5.0`) but not strings or
booleans; pydantic's lax mode accepts `"5"` and `false`, and its strict mode rejects `5.0`.
Parsing with integral floats turned into ints, then validating strictly, gives JSON Schema's
answer. Non-standard constants (`NaN`, `Infinity`) are not JSON and are refused.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel

_Model = TypeVar("_Model", bound=BaseModel)


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not valid JSON")


def loads(raw: str | bytes) -> Any:
    """Parse JSON, integral floats as ints; ValueError for invalid JSON or NaN/Infinity."""
    return json.loads(raw, parse_float=_number, parse_constant=_constant)


def validate(model: type[_Model], data: Any) -> _Model:
    """Strictly validate data parsed by `loads` (raises pydantic.ValidationError)."""
    # Through JSON again so strict mode still takes strings for UUIDs, datetimes and enums.
    return model.model_validate_json(json.dumps(data), strict=True)
