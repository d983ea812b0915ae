"""`python -m codegen generate|check`: regenerate client code from the spec, or fail on drift."""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import spec as spec_module
from .targets import ROOT, TARGETS, Target

DEFAULT_SPEC = ROOT / "schema" / "telemetry-api-v1.yaml"


def _validate_spec(spec_path: Path) -> None:
    import yaml
    from openapi_spec_validator import validate

    validate(yaml.safe_load(spec_path.read_text()))


def write_target(target: Target, spec_path: Path, out_dir: Path) -> list[Path]:
    """Render one target into out_dir (created if needed), formatted; returns the files written."""
    api = spec_module.load(spec_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in target.render(api, spec_path).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    target.format(out_dir)
    return written


def generate(spec_path: Path = DEFAULT_SPEC, out_root: Path | None = None) -> list[Path]:
    """Validate the spec and write every target (into out_root/<target> when given)."""
    _validate_spec(spec_path)
    written: list[Path] = []
    for target in TARGETS:
        out_dir = target.out_dir if out_root is None else out_root / target.name
        written += write_target(target, spec_path, out_dir)
    return written


def _files(directory: Path) -> dict[str, str]:
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): p.read_text()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def drift(spec_path: Path = DEFAULT_SPEC, committed: dict[str, Path] | None = None) -> str:
    """Regenerate into a temporary tree; return a unified diff against the committed files."""
    committed = {t.name: t.out_dir for t in TARGETS} | (committed or {})
    chunks: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        generate(spec_path, Path(tmp))
        for target in TARGETS:
            fresh = _files(Path(tmp) / target.name)
            current_dir = committed[target.name]
            current = _files(current_dir)
            inside = current_dir.is_relative_to(ROOT)
            shown = current_dir.relative_to(ROOT) if inside else current_dir
            for rel in sorted(set(fresh) | set(current)):
                name = f"{shown}/{rel}"
                chunks.extend(
                    difflib.unified_diff(
                        current.get(rel, "").splitlines(keepends=True),
                        fresh.get(rel, "").splitlines(keepends=True),
                        fromfile=f"committed/{name}",
                        tofile=f"generated/{name}",
                    )
                )
    return "".join(chunks)


def import_check(src_root: Path = ROOT / "src") -> None:
    """Import the generated modules in a fresh interpreter: a generator can exit 0 on bad Python."""
    modules = [m for t in TARGETS for m in t.import_check]
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    env = {**os.environ, "PYTHONPATH": str(src_root)}
    subprocess.run([sys.executable, "-c", code, *modules], check=True, env=env, cwd=src_root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="OpenAPI spec to read")
    args = parser.parse_args(argv)
    if args.command == "generate":
        for path in generate(args.spec):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    diff = drift(args.spec)
    if diff:
        sys.stdout.write(diff)
        print(
            "\ncodegen check: generated code differs from the spec. "
            "Run `make generate` and commit the result (never edit generated files by hand).",
            file=sys.stderr,
        )
        return 1
    try:
        import_check()
    except subprocess.CalledProcessError:
        print("codegen check: the generated modules do not import.", file=sys.stderr)
        return 1
    for target in TARGETS:
        if target.verify is None:
            continue
        try:
            target.verify()
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            print(
                f"codegen check: the generated {target.name} code does not check: {exc}",
                file=sys.stderr,
            )
            return 1
    print("codegen check: generated code matches the spec, imports and type-checks cleanly.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
