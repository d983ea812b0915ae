"""Load the shared behaviour vectors (parity/vectors/*.json) that both test runners execute."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_DIR = Path(__file__).parent / "vectors"


def load(kind: str) -> dict[str, Any]:
    """One vector file (`build`, `validation`, ...) as parsed JSON."""
    data: dict[str, Any] = json.loads((VECTORS_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def kinds() -> list[str]:
    """Every vector file's name without `.json`, sorted."""
    return sorted(path.stem for path in VECTORS_DIR.glob("*.json"))


def all_vectors() -> list[tuple[str, dict[str, Any]]]:
    """(kind, vector) for every vector in every file, in file order."""
    found: list[tuple[str, dict[str, Any]]] = []
    for kind in kinds():
        names: set[str] = set()
        for vector in load(kind)["vectors"]:
            if vector["name"] in names:
                raise ValueError(f"parity/vectors/{kind}.json: duplicate vector {vector['name']!r}")
            names.add(vector["name"])
            found.append((kind, vector))
    return found
