"""The gate's own parts: both canonical JSON functions agree, the mapping, the allowlist rules."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from . import canonical, compare

_HERE = Path(__file__).parent

SAMPLES: list[Any] = [
    {"b": 1.0, "a": [1, 2.5, -0.0, 1e-7, 1.5e-10, 0.1 + 0.2, 1e16, 1e21, 123456.789]},
    ["2026-02-15T07:00:00+02:00", "2026-02-14T23:30:00.120-05:30", "2026-02-15T05:00:00.000Z"],
    ["2026-02-15", "not a date", "2026-02-15T05:00:00", "modèle-ünïcode-模型", "\U0001f600"],
    {"z": None, "y": True, "x": False, "nested": {"k": [{"b": 2, "a": 1}]}},
    0.85,
    86400000,
]


def test_python_and_typescript_canonical_json_agree() -> None:
    script = (
        "import('./canonical.mjs').then((c) => {"
        " const samples = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));"
        " console.log(JSON.stringify(samples.map(c.dumps))); })"
    )
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(SAMPLES),
        cwd=_HERE / "ts",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == [canonical.dumps(sample) for sample in SAMPLES]


def test_canonical_rules() -> None:
    assert canonical.dumps({"b": 1.0, "a": 1e-7}) == '{"a":0.0000001,"b":1}'
    assert canonical.timestamp("2026-02-15T07:00:00.500+02:00") == "2026-02-15T05:00:00.5Z"
    assert canonical.differences({"a": 1, "b": [1]}, {"a": 1.0, "b": [2], "c": 3}) == [
        "$.b[0]: expected 1, got 2",
        "$.c: expected <missing>, got 3",
    ]


def test_mapping_units_and_names() -> None:
    python = {"config": {"submit_interval_seconds": {"default": 300.0, "unit": "s"}}}
    ts = {"config": {"submitIntervalMs": {"default": 300000, "unit": "ms"}}}
    assert compare.check(python, ts, []) == ([], [])
    ts["config"]["submitIntervalMs"]["default"] = 30000
    (difference,), _ = compare.check(python, ts, [])
    assert str(difference) == "config.submit_interval.default: python 300, typescript 30"


def _allowed(python: str, ts: str) -> compare.Allowed:
    return compare.Allowed("builder_defaults.complexity", python, ts, "a reason")


def test_allowlist_entry_pins_both_values() -> None:
    python = {"builder_defaults": {"complexity": "medium"}}
    ts: dict[str, Any] = {"builder_defaults": {}}
    assert compare.check(python, ts, [_allowed('"medium"', compare.ABSENT)]) == ([], [])
    python["builder_defaults"]["complexity"] = "low"
    unexpected, stale = compare.check(python, ts, [_allowed('"medium"', compare.ABSENT)])
    assert [d.item for d in unexpected] == ["builder_defaults.complexity"]
    assert [a.item for a in stale] == ["builder_defaults.complexity"]


def test_allowlist_entry_without_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowlist.json"
    path.write_text(json.dumps([{"item": "exports.X", "python": "<absent>", "ts": True}]))
    with pytest.raises(ValueError, match=r"exports\.X"):
        compare.load_allowlist(path)


def test_committed_allowlist_loads_and_every_entry_has_a_reason() -> None:
    entries = compare.load_allowlist()
    assert entries
    assert all(len(entry.reason) > 20 for entry in entries)
    assert len({entry.item for entry in entries}) == len(entries)
