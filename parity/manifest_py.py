"""The Python package's shipped surface, by introspection of the installed package.

Names stay as Python spells them (snake_case options in seconds); parity/compare.py applies the
documented mapping before comparing with the TypeScript manifest (parity/ts/manifest.mjs).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

import mosaicstack_telemetry as package
from mosaicstack_telemetry import EventBuilder, TelemetryConfig
from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated import models as generated

_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
)
_SPEC_SHA = re.compile(r"sha256 ([0-9a-f]{64})")
# Every 2xx the spec or a server might use, the redirects, and the errors the client handles.
PROBED_STATUSES = (
    *range(200, 209), 226, 299, 300, 301, 302, 303, 304, 307, 308,
    400, 401, 403, 404, 408, 409, 413, 422, 429, 499, 500, 502, 503, 504, 599,
)  # fmt: skip
_NO_BODY = frozenset({204, 205, 304})  # HTTP forbids a body; the TypeScript probe sends none
_INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"enum {name}" if "enum" in defs.get(name, {}) else name
    if "const" in schema:
        return json.dumps(schema["const"])
    if "anyOf" in schema:
        return " | ".join(sorted({_type(part, defs) for part in schema["anyOf"]}))
    kind = schema.get("type", "unknown")
    if kind == "array":
        return f"array<{_type(schema.get('items', {}), defs)}>"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"record<string, {_type(schema['additionalProperties'], defs)}>"
    return str(kind)


def field(schema: dict[str, Any], required: bool, defs: dict[str, Any]) -> dict[str, Any]:
    """One model field: required, nullable, type, format, constraints and default."""
    nullable = False
    inner = schema
    if "anyOf" in schema:
        parts = [part for part in schema["anyOf"] if part.get("type") != "null"]
        nullable = len(parts) < len(schema["anyOf"])
        inner = parts[0] if len(parts) == 1 else {"anyOf": parts}
    described: dict[str, Any] = {
        "required": required,
        "nullable": nullable,
        "type": _type(inner, defs),
        "format": inner.get("format"),
        "constraints": {key: inner[key] for key in _CONSTRAINTS if key in inner},
    }
    if "default" in schema:
        described["default"] = schema["default"]
    items = inner.get("items", {})
    item_constraints = {key: items[key] for key in _CONSTRAINTS if key in items}
    if item_constraints:
        described["constraints"]["items"] = item_constraints
    return described


def model(cls: type[BaseModel]) -> dict[str, Any]:
    """Every field of a model, and whether it refuses unknown fields."""
    schema = cls.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    return {
        "closed": cls.model_config.get("extra") == "forbid",
        "fields": {
            name: field(prop, name in required, defs) for name, prop in schema["properties"].items()
        },
    }


def _generated_classes() -> list[type]:
    return [
        value
        for _, value in inspect.getmembers(generated, inspect.isclass)
        if value.__module__ == generated.__name__
    ]


def enums() -> dict[str, dict[str, str]]:
    """Every generated enum: member name -> value."""
    return {
        cls.__name__: {member.name: member.value for member in cls}
        for cls in _generated_classes()
        if issubclass(cls, enum.Enum)
    }


def models() -> dict[str, Any]:
    """Every generated model."""
    return {
        cls.__name__: model(cls)
        for cls in _generated_classes()
        if issubclass(cls, BaseModel) and cls is not BaseModel
    }


def _probe(call: Any, response_json: Any) -> dict[str, Any]:
    """Method, path and the statuses the endpoint function treats as success, by calling it."""
    seen: list[httpx.Request] = []
    successes: list[int] = []
    for status in PROBED_STATUSES:

        def answer(request: httpx.Request, status: int = status) -> httpx.Response:
            seen.append(request)
            if status in _NO_BODY:
                return httpx.Response(status)
            return httpx.Response(status, json=response_json)

        transport = httpx.MockTransport(answer)
        with httpx.Client(base_url="http://parity.invalid", transport=transport) as client:
            try:
                call(client)
            except ApiError:
                continue
            successes.append(status)
    first = seen[0]
    return {
        "method": first.method,
        "path": first.url.path,
        "content_type": first.headers.get("content-type"),
        "success_statuses": _ranges(successes),
    }


def _ranges(statuses: list[int]) -> list[str]:
    found: list[list[int]] = []
    for status in statuses:
        if found and found[-1][1] == status - 1:
            found[-1][1] = status
        else:
            found.append([status, status])
    return [f"{low}" if low == high else f"{low}-{high}" for low, high in found]


def endpoint_surface() -> dict[str, Any]:
    """Both operations, observed on the wire."""
    event = EventBuilder(_INSTANCE_ID).build()
    query = generated.PredictionQuery(
        task_type=generated.TaskType.TESTING,
        model="m",
        provider=generated.Provider.OPENAI,
        complexity=generated.Complexity.LOW,
    )
    events = generated.BatchEventRequest(events=[event])
    queries = generated.PredictionBatchRequest(queries=[query])
    return {
        "submit_events_batch": _probe(
            lambda c: endpoints.submit_events_batch(c, events),
            {"accepted": 1, "rejected": 0, "results": []},
        ),
        "get_predictions_batch": _probe(
            lambda c: endpoints.get_predictions_batch(c, queries), {"results": []}
        ),
    }


def config_options() -> dict[str, Any]:
    """TelemetryConfig's options: default and unit (from the name's suffix)."""
    options: dict[str, Any] = {}
    for option in dataclasses.fields(TelemetryConfig):
        unit = "s" if option.name.endswith("_seconds") else None
        options[option.name] = {"default": option.default, "unit": unit}
    return options


def builder_defaults() -> dict[str, Any]:
    """What EventBuilder(instance_id).build() fills in when no setter is called."""
    wire = json.loads(EventBuilder(_INSTANCE_ID).build().model_dump_json())
    return {k: v for k, v in wire.items() if k not in ("instance_id", "event_id", "timestamp")}


def spec_hashes(root: Path) -> dict[str, str | None]:
    """The spec sha256 each generated file's header names."""
    directory = root / "src" / "mosaicstack_telemetry" / "_generated"
    found: dict[str, str | None] = {}
    for path in sorted(directory.glob("*.py")):
        match = _SPEC_SHA.search(path.read_text(encoding="utf-8")[:500])
        found[str(path.relative_to(root))] = match.group(1) if match else None
    return found


def manifest() -> dict[str, Any]:
    """The whole manifest."""
    return {
        "version": package.__version__,
        "exports": sorted(package.__all__),
        "enums": enums(),
        "models": models(),
        "endpoints": endpoint_surface(),
        "config": config_options(),
        "builder_defaults": builder_defaults(),
    }


if __name__ == "__main__":
    print(json.dumps(manifest(), indent=2, sort_keys=True))
