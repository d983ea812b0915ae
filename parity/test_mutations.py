"""The parity gate, proven by mutation: each entry of mutations.json (beside this file) changes one
thing in a copy of the tree, and `python -m parity` must fail there and name the changed item.

A baseline run on the unchanged copy must pass first, so that a red run means the mutation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "mutations.json").read_text(encoding="utf-8")
)
_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", "build-test", "*.egg-info",
)  # fmt: skip
_TIMEOUT = 600


def copy_tree(destination: Path) -> Path:
    """The working tree without VCS data, virtualenv or caches; ts/dist and node_modules shared."""
    tree = destination / "tree"
    shutil.copytree(ROOT, tree, ignore=_SKIP)
    (tree / "ts" / "node_modules").symlink_to(ROOT / "ts" / "node_modules")
    return tree


def mutate(tree: Path, mutation: dict[str, Any]) -> None:
    """Replace the first occurrence of `find` in `file`; the text must be there."""
    path = tree / mutation["file"]
    text = path.read_text(encoding="utf-8")
    assert mutation["find"] in text, (
        f"mutation {mutation['name']}: {mutation['find']!r} is no longer in {mutation['file']}; "
        "update parity/mutations.json"
    )
    path.write_text(text.replace(mutation["find"], mutation["replace"], 1), encoding="utf-8")


def build_ts(tree: Path) -> None:
    """Rebuild ts/dist in the copy, as the gate checks the built package."""
    tsc = tree / "ts" / "node_modules" / "typescript" / "bin" / "tsc"
    subprocess.run(
        ["node", str(tsc), "-p", str(tree / "ts" / "tsconfig.build.json")],
        check=True,
        capture_output=True,
        timeout=_TIMEOUT,
    )


def gate(tree: Path) -> subprocess.CompletedProcess[str]:
    """`python -m parity` in the copy, importing the copy's Python package."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(tree)])}
    env.pop("PARITY_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "parity"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


def test_mutation_list_covers_the_required_kinds() -> None:
    names = {m["name"] for m in MUTATIONS}
    assert len(names) == len(MUTATIONS), "mutation names must be unique"
    required = {
        "ts-enum-value",
        "python-builder-default",
        "ts-retry-status",
        "python-config-default",
        "python-generated-max-length",
        "python-serialization",
    }
    assert required <= names


def test_unchanged_copy_passes(tmp_path: Path) -> None:
    result = gate(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "parity vectors run by pytest" in result.stdout
    assert "parity vectors run by node --test" in result.stdout


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m["name"] for m in MUTATIONS])
def test_mutation_turns_the_gate_red(mutation: dict[str, Any], tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    mutate(tree, mutation)
    if mutation["file"].startswith("ts/"):
        build_ts(tree)
    result = gate(tree)
    output = result.stdout + result.stderr
    assert result.returncode == 1, f"the gate stayed green with {mutation['what']}:\n{output}"
    missing = [name for name in mutation["names"] if name not in output]
    assert not missing, f"the gate failed without naming {missing}:\n{output}"
