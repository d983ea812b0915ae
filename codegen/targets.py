"""Code targets: each turns an ApiSpec into a set of files (relative path -> text)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .spec import ApiSpec, snake_case

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


@dataclass(frozen=True)
class Target:
    """A language target: where its files go, how to render and how to format them."""

    name: str
    out_dir: Path
    render: Callable[[ApiSpec, Path], dict[str, str]]
    format: Callable[[Path], None]
    import_check: tuple[str, ...] = ()


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
)
