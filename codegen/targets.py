"""Code targets: each turns an ApiSpec into a set of files (relative path -> text)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .spec import ApiSpec, TypeRef, snake_case

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"


def header(spec: ApiSpec, comment: str) -> str:
    """The do-not-edit banner every generated file starts with."""
    lines = [
        f"Generated from schema/{spec.file_name} (sha256 {spec.sha256}).",
        "Do not edit by hand: change the spec or codegen/, then run `make generate`",
        "(python -m codegen generate).",
    ]
    return "".join(f"{comment} {line}\n" for line in lines)


def _environment(target: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / target),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["snake"] = snake_case
    env.filters["tsstr"] = ts_string
    env.filters["tstype"] = ts_type
    env.filters["tsschema"] = ts_schema
    return env


def _python_models(spec: ApiSpec, spec_path: Path) -> str:
    # Options live in pyproject.toml [tool.datamodel-codegen]; cwd=ROOT makes the CLI read them.
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "models.py"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(spec_path),
                "--output",
                str(out),
                "--custom-file-header",
                header(spec, "#").rstrip("\n"),
                # Our ConfigDict template adds defer_build=True: each model builds its validator
                # on first use, so importing the SDK does not pay for response models it may
                # never parse (the first event needs only TaskCompletionEvent's).
                "--custom-template-dir",
                str(TEMPLATES / "python" / "datamodel"),
            ],
            cwd=ROOT,
            check=True,
        )
        return out.read_text()


def _python(spec: ApiSpec, spec_path: Path) -> dict[str, str]:
    env = _environment("python")
    context = {"spec": spec, "header": header(spec, "#")}
    return {
        "__init__.py": env.get_template("__init__.py.jinja").render(context),
        "models.py": _python_models(spec, spec_path),
        "endpoints.py": env.get_template("endpoints.py.jinja").render(context),
    }


def ruff_format(directory: Path) -> None:
    """Format generated Python with the project's ruff settings, wherever it was written."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--quiet",
            "--config",
            str(ROOT / "pyproject.toml"),
            str(directory),
        ],
        check=True,
    )


def ts_string(value: str) -> str:
    """A single-quoted TypeScript string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def _ts_number(value: float) -> str:
    # 1.0 in YAML is a float; TypeScript writes it 1. repr() keeps other floats exact.
    return str(int(value)) if float(value).is_integer() else repr(value)


def _ts_base_type(ref: TypeRef) -> str:
    if ref.kind == "string":
        return "string" if ref.const is None else ts_string(ref.const)
    if ref.kind in ("integer", "number"):
        return "number"
    if ref.kind == "boolean":
        return "boolean"
    if ref.kind in ("enum", "model"):
        return ref.ref
    if ref.kind == "array":
        assert ref.items is not None
        inner = ts_type(ref.items)
        return f"({inner})[]" if " " in inner else f"{inner}[]"
    if ref.kind == "map":
        assert ref.items is not None
        return f"Record<string, {ts_type(ref.items)}>"
    if ref.kind == "union":
        return " | ".join(ts_type(v) for v in ref.variants)
    if ref.kind == "null":
        return "null"
    raise ValueError(f"no TypeScript type for {ref.kind!r}")


def ts_type(ref: TypeRef) -> str:
    """The TypeScript type of a TypeRef."""
    base = _ts_base_type(ref)
    return f"{base} | null" if ref.nullable and ref.kind != "null" else base


def ts_schema(ref: TypeRef) -> str:
    """The TypeSchema literal (generated/validation.ts) that checks a TypeRef at run time."""
    parts = [f"kind: {ts_string(ref.kind)}"]
    if ref.nullable:
        parts.append("nullable: true")
    if ref.kind == "enum":
        parts += [f"name: {ts_string(ref.ref)}", f"values: Object.values({ref.ref})"]
    elif ref.kind == "model":
        parts.append(f"model: () => {ref.ref}Schema")
    elif ref.kind == "array":
        assert ref.items is not None
        parts.append(f"items: {ts_schema(ref.items)}")
    elif ref.kind == "map":
        assert ref.items is not None
        parts.append(f"values: {ts_schema(ref.items)}")
    elif ref.kind == "union":
        parts.append(f"variants: [{', '.join(ts_schema(v) for v in ref.variants)}]")
    if ref.format in ("uuid", "date-time"):
        parts.append(f"format: {ts_string(ref.format)}")
    if ref.const is not None:
        parts.append(f"const: {ts_string(ref.const)}")
    numeric = {
        "minimum": ref.minimum,
        "maximum": ref.maximum,
        "minLength": ref.min_length,
        "maxLength": ref.max_length,
        "minItems": ref.min_items,
        "maxItems": ref.max_items,
    }
    parts += [f"{key}: {_ts_number(v)}" for key, v in numeric.items() if v is not None]
    return "{ " + ", ".join(parts) + " }"


_TYPESCRIPT_FILES = ("models.ts", "validation.ts", "schemas.ts", "endpoints.ts", "index.ts")


def _typescript(spec: ApiSpec, spec_path: Path) -> dict[str, str]:
    env = _environment("typescript")
    context = {"spec": spec, "header": header(spec, "//")}
    return {name: env.get_template(f"{name}.jinja").render(context) for name in _TYPESCRIPT_FILES}


def no_format(directory: Path) -> None:
    """The TypeScript templates are written formatted; nothing to do."""


TS_ROOT = ROOT / "ts"


def typescript_check(ts_root: Path = TS_ROOT) -> None:
    """Type-check the TypeScript package (generated and handwritten) with its pinned tsc."""
    tsc = TS_ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        raise FileNotFoundError(f"{tsc} is missing: run `make ts-install` (npm ci in ts/) first")
    subprocess.run([str(tsc), "-p", str(ts_root / "tsconfig.build.json"), "--noEmit"], check=True)


@dataclass(frozen=True)
class Target:
    """A language target: where its files go, how to render and how to format them."""

    name: str
    out_dir: Path
    render: Callable[[ApiSpec, Path], dict[str, str]]
    format: Callable[[Path], None]
    import_check: tuple[str, ...] = ()
    verify: Callable[[], None] | None = None


TARGETS: tuple[Target, ...] = (
    Target(
        name="python",
        out_dir=ROOT / "src" / "mosaicstack_telemetry" / "_generated",
        render=_python,
        format=ruff_format,
        import_check=(
            "mosaicstack_telemetry._generated.models",
            "mosaicstack_telemetry._generated.endpoints",
        ),
    ),
    Target(
        name="typescript",
        out_dir=TS_ROOT / "src" / "generated",
        render=_typescript,
        format=no_format,
        verify=typescript_check,
    ),
)
