"""A small, language-neutral reading of the OpenAPI spec that every target's templates render."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
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


# Constraint keywords the targets know how to enforce; anything else in a schema is refused, so a
# spec change can never be silently ignored by a generator.
_KNOWN_KEYWORDS = frozenset(
    {
        "type",
        "format",
        "description",
        "default",
        "examples",
        "enum",
        "const",
        "$ref",
        "anyOf",
        "items",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "additionalProperties",
        "properties",
        "required",
    }
)


@dataclass(frozen=True)
class TypeRef:
    """The type of a field or array item: a primitive, a named enum/model, an array or a map."""

    kind: str  # string | integer | number | boolean | enum | model | array | map | union | null
    ref: str = ""  # the enum or model name, for kind enum/model
    nullable: bool = False
    items: TypeRef | None = None  # array items, map values
    variants: tuple[TypeRef, ...] = ()  # kind union: the non-null alternatives
    format: str = ""
    const: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class Field:
    """One property of an object schema."""

    name: str
    type: TypeRef
    required: bool
    description: str
    has_default: bool
    default: Any = None


@dataclass(frozen=True)
class Model:
    """A named object schema; closed ones (request bodies) reject unknown fields."""

    name: str
    description: str
    fields: tuple[Field, ...]
    closed: bool


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
    models: tuple[Model, ...] = ()

    def enum(self, name: str) -> Enumeration:
        """The enum called name."""
        return next(e for e in self.enums if e.name == name)

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


def _check_keywords(schema: dict[str, Any], where: str) -> None:
    unknown = set(schema) - _KNOWN_KEYWORDS
    if unknown:
        raise ValueError(f"{where}: unsupported schema keywords {sorted(unknown)}")


def _number(value: Any) -> float | None:
    return None if value is None else value


def read_type(schema: dict[str, Any], schemas: dict[str, Any], where: str) -> TypeRef:
    """The TypeRef of an inline schema (a $ref, an anyOf with null, a primitive, array or map)."""
    _check_keywords(schema, where)
    if "$ref" in schema:
        name = _ref_name(schema)
        kind = "enum" if "enum" in schemas[name] else "model"
        return TypeRef(kind, ref=name)
    if "anyOf" in schema:
        options = [read_type(o, schemas, where) for o in schema["anyOf"]]
        nullable = any(o.kind == "null" for o in options)
        rest = [o for o in options if o.kind != "null"]
        if len(rest) == 1:
            return replace(rest[0], nullable=rest[0].nullable or nullable)
        return TypeRef("union", nullable=nullable, variants=tuple(rest))
    types = schema.get("type")
    type_list = list(types) if isinstance(types, list) else [types]
    nullable = "null" in type_list
    type_list = [t for t in type_list if t != "null"]
    if not type_list:
        return TypeRef("null", nullable=True)
    if len(type_list) != 1:
        raise ValueError(f"{where}: multi-type schemas other than X|null are unsupported")
    kind = type_list[0]
    if kind == "array":
        return TypeRef(
            "array",
            nullable=nullable,
            items=read_type(schema["items"], schemas, f"{where}[]"),
            min_items=schema.get("minItems"),
            max_items=schema.get("maxItems"),
        )
    if kind == "object":
        values = schema.get("additionalProperties")
        if not isinstance(values, dict) or "properties" in schema:
            raise ValueError(f"{where}: inline objects must be maps (additionalProperties: schema)")
        return TypeRef("map", nullable=nullable, items=read_type(values, schemas, f"{where}{{}}"))
    if kind not in ("string", "integer", "number", "boolean"):
        raise ValueError(f"{where}: unsupported type {kind!r}")
    return TypeRef(
        kind,
        nullable=nullable,
        format=schema.get("format", ""),
        const=schema.get("const"),
        minimum=_number(schema.get("minimum")),
        maximum=_number(schema.get("maximum")),
        min_length=schema.get("minLength"),
        max_length=schema.get("maxLength"),
    )


def _read_model(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> Model:
    _check_keywords(schema, name)
    required = set(schema.get("required", []))
    fields = tuple(
        Field(
            name=field_name,
            type=read_type(prop, schemas, f"{name}.{field_name}"),
            required=field_name in required,
            description=" ".join(prop.get("description", "").split()),
            has_default="default" in prop,
            default=prop.get("default"),
        )
        for field_name, prop in schema.get("properties", {}).items()
    )
    return Model(
        name=name,
        description=" ".join(schema.get("description", "").split()),
        fields=fields,
        closed=schema.get("additionalProperties") is False,
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
        models=tuple(
            _read_model(name, s, schemas)
            for name, s in schemas.items()
            if s.get("type") == "object" and "enum" not in s
        ),
    )
