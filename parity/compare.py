"""Compare the two manifests after the documented mapping; allowed differences come from a file.

The mapping (docs/parity.md): option names camelCase -> snake_case, with a unit suffix (`Ms`,
`_seconds`) dropped and the default converted to seconds; endpoint function names the same way;
a version inside a default string written as `<version>`. Everything else is compared as is,
canonically (parity/canonical.py), so `1` and `1.0` are the same default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import canonical

ABSENT = "<absent>"
ALLOWLIST = Path(__file__).parent / "allowlist.json"

_UNIT_SUFFIXES = {"_seconds": 1.0, "_ms": 0.001}


def snake(name: str) -> str:
    """camelCase -> camel_case; snake_case stays as it is."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _option(name: str, spec: dict[str, Any], version: str) -> tuple[str, dict[str, Any]]:
    key = snake(name)
    default = spec.get("default")
    for suffix, factor in _UNIT_SUFFIXES.items():
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                default = default * factor
            return key, {"default": default, "unit": "s"}
    if isinstance(default, str) and version:
        default = default.replace(version, "<version>")
    return key, {"default": default, "unit": spec.get("unit")}


def normalize(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest in the shared vocabulary: snake_case names, seconds, `<version>`."""
    version = str(manifest.get("version", ""))
    config = dict(_option(name, spec, version) for name, spec in manifest.get("config", {}).items())
    endpoints = {snake(name): spec for name, spec in manifest.get("endpoints", {}).items()}
    return {
        "version": version,
        "exports": {name: True for name in manifest.get("exports", [])},
        "enums": manifest.get("enums", {}),
        "models": manifest.get("models", {}),
        "endpoints": endpoints,
        "config": config,
        "builder_defaults": manifest.get("builder_defaults", {}),
    }


@dataclass(frozen=True)
class Difference:
    """One item whose value differs between the two packages."""

    item: str
    python: Any
    ts: Any

    def values(self) -> tuple[str, str]:
        """Both values as canonical JSON (ABSENT for a missing item)."""
        return _show(self.python), _show(self.ts)

    def __str__(self) -> str:
        python, ts = self.values()
        return f"{self.item}: python {python}, typescript {ts}"


def _show(value: Any) -> str:
    return ABSENT if value is _MISSING else canonical.dumps(value)


_MISSING: Any = object()


def differences(python: Any, ts: Any, path: str = "") -> list[Difference]:
    """Every item that differs; a subtree missing on one side is one difference."""
    if isinstance(python, dict) and isinstance(ts, dict):
        found: list[Difference] = []
        for key in sorted(set(python) | set(ts)):
            item = f"{path}.{key}" if path else str(key)
            if key not in python:
                found.append(Difference(item, _MISSING, ts[key]))
            elif key not in ts:
                found.append(Difference(item, python[key], _MISSING))
            else:
                found += differences(python[key], ts[key], item)
        return found
    if canonical.dumps(python) != canonical.dumps(ts):
        return [Difference(path, python, ts)]
    return []


@dataclass(frozen=True)
class Allowed:
    """An intended difference: the item, both values it is allowed to have, and why."""

    item: str
    python: str
    ts: str
    reason: str


def load_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    """The committed allowlist; each entry must give a reason."""
    entries = []
    for raw in json.loads(path.read_text(encoding="utf-8")):
        if not str(raw.get("reason", "")).strip():
            raise ValueError(f"{path.name}: {raw.get('item')!r} has no reason")
        python = ABSENT if raw["python"] == ABSENT else canonical.dumps(raw["python"])
        ts = ABSENT if raw["ts"] == ABSENT else canonical.dumps(raw["ts"])
        entries.append(Allowed(raw["item"], python, ts, raw["reason"]))
    return entries


def check(
    python: dict[str, Any], ts: dict[str, Any], allowlist: list[Allowed]
) -> tuple[list[Difference], list[Allowed]]:
    """(differences not on the allowlist, allowlist entries that no longer match anything)."""
    allowed = {(a.item, a.python, a.ts): a for a in allowlist}
    used: set[tuple[str, str, str]] = set()
    unexpected = []
    for difference in differences(normalize(python), normalize(ts)):
        key = (difference.item, *difference.values())
        if key in allowed:
            used.add(key)
        else:
            unexpected.append(difference)
    stale = [a for key, a in allowed.items() if key not in used]
    return unexpected, stale
