"""A small, language-neutral reading of the OpenAPI spec that every target's templates render."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One HTTP operation, with the names of its request and response schemas."""

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    request_schema: str
    response_schema: str
    success_status: int
    error_statuses: tuple[str, ...]

    @property
    def snake_name(self) -> str:
        return snake_case(self.operation_id)


@dataclass(frozen=True)
class Enumeration:
    """A named string enum."""

    name: str
    description: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ApiSpec:
    """What the templates need to know about the spec."""

    title: str
    version: str
    file_name: str
    sha256: str
    operations: tuple[Operation, ...]
    enums: tuple[Enumeration, ...]
    schema_names: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def body_schemas(self) -> tuple[str, ...]:
        """Sorted names of every schema used as a request or response body."""
        names = {op.request_schema for op in self.operations}
        names |= {op.response_schema for op in self.operations}
        return tuple(sorted(names))


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/components/schemas/"):
        raise ValueError(f"request and response bodies must be $refs to components, got {schema!r}")
    return ref.rsplit("/", 1)[1]


def _read_operation(path: str, method: str, op: dict[str, Any]) -> Operation:
    op_id = op.get("operationId")
    if not op_id:
        raise ValueError(f"{method.upper()} {path} has no operationId")
    request = _ref_name(op["requestBody"]["content"]["application/json"]["schema"])
    success = [code for code in op["responses"] if str(code).startswith("2")]
    if len(success) != 1:
        raise ValueError(f"{op_id} must name exactly one 2xx response, found {success}")
    code = str(success[0])
    response = _ref_name(op["responses"][code]["content"]["application/json"]["schema"])
    errors = tuple(str(c) for c in op["responses"] if not str(c).startswith("2"))
    return Operation(
        operation_id=op_id,
        method=method.upper(),
        path=path,
        summary=op.get("summary", "").strip(),
        description=" ".join(op.get("description", "").split()),
        request_schema=request,
        response_schema=response,
        success_status=int(code),
        error_statuses=errors,
    )


def load(spec_path: Path) -> ApiSpec:
    """Read the spec file into an ApiSpec."""
    data = spec_path.read_bytes()
    raw = yaml.safe_load(data)
    operations = tuple(
        _read_operation(path, method, item[method])
        for path, item in raw.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    )
    schemas = raw.get("components", {}).get("schemas", {})
    enums = tuple(
        Enumeration(name, " ".join(s.get("description", "").split()), tuple(s["enum"]))
        for name, s in schemas.items()
        if "enum" in s
    )
    return ApiSpec(
        title=raw["info"]["title"],
        version=str(raw["info"]["version"]),
        file_name=spec_path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        operations=operations,
        enums=enums,
        schema_names=tuple(schemas),
        raw=raw,
    )
