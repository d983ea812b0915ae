"""`python -m parity`: the whole parity gate (docs/parity.md).

1. Surfaces: both manifests, compared after the documented mapping; every difference must be
   on parity/allowlist.json with both of its values, and no entry there may be stale.
2. Vectors: parity/vectors/*.json run by pytest (Python) and by `node --test` (TypeScript).
3. Identity: every generated file names the spec's sha256; both packages report one version.

Needs ts/dist built (`make check-parity` builds it). Exits 1 and names each failing item.
`--dump DIR` also writes both raw manifests there; `--propose` prints allowlist entries for the
unexpected differences, with an empty reason to fill in (an entry without a reason is refused).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import compare, spec_identity

ROOT = Path(__file__).resolve().parent.parent
_TIMEOUT = 600
# The vectors need no pytest plugin; not loading the suite's (schemathesis...) saves seconds.
_PYTEST_OPTIONS = ["-q", "-rf", "-p", "no:cacheprovider"]
_PYTEST_OPTIONS += ["-W", "ignore::pytest.PytestConfigWarning"]


def python_manifest() -> dict[str, Any]:
    """The Python manifest, from the package this interpreter imports."""
    from . import manifest_py

    return manifest_py.manifest()


class ManifestError(Exception):
    """A manifest could not be made (the package does not load, say)."""


class _Job:
    """A command running in the background; the three slow parts of the gate run side by side."""

    def __init__(self, command: list[str], root: Path) -> None:
        env = {
            **os.environ,
            "PARITY_ROOT": str(root),
            "COLUMNS": "400",
            "NO_COLOR": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        self._process = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self) -> tuple[int, str, str]:
        """(exit status, stdout, stderr), waiting at most _TIMEOUT seconds."""
        try:
            stdout, stderr = self._process.communicate(timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            stdout, stderr = self._process.communicate()
            return 124, stdout, stderr + f"\n(killed after {_TIMEOUT} s)"
        return self._process.returncode, stdout, stderr


def ts_manifest(job: _Job) -> dict[str, Any]:
    """The TypeScript manifest that parity/ts/manifest.mjs printed."""
    status, stdout, stderr = job.result()
    if status != 0:
        raise ManifestError(f"the TypeScript manifest failed:\n{stderr[-3000:]}")
    result: dict[str, Any] = json.loads(stdout)
    return result


def surfaces(root: Path, ts_job: _Job, dump: Path | None, propose: bool) -> list[str]:
    """Failures of the surface and identity layers, one line each."""
    try:
        python = python_manifest()
        ts = ts_manifest(ts_job)
    except ManifestError as exc:
        return [f"surface: {exc}"]
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        for name, manifest in (("python", python), ("typescript", ts)):
            text = json.dumps(manifest, indent=2, sort_keys=True)
            (dump / f"{name}.json").write_text(text + "\n")
    unexpected, stale = compare.check(python, ts, compare.load_allowlist())
    if propose:
        for difference in unexpected:
            python_value, ts_value = difference.values()
            entry = {
                "item": difference.item,
                "python": python_value if python_value == compare.ABSENT else difference.python,
                "ts": ts_value if ts_value == compare.ABSENT else difference.ts,
                "reason": "",
            }
            print(json.dumps(entry, ensure_ascii=False) + ",")
    failures = [f"surface: {difference}" for difference in unexpected]
    failures += [
        f"allowlist: stale entry {entry.item} (python {entry.python}, typescript {entry.ts}): "
        "the packages no longer differ this way; remove or update it"
        for entry in stale
    ]
    ts_versions = {
        "VERSION": str(ts.get("version")),
        "package.json": str(ts.get("package_json_version")),
    }
    failures += spec_identity.problems(root, python["version"], ts_versions)
    return failures


_PYTEST_FAILED = re.compile(r"^FAILED \S+::test_vector\[(.+?)\](?: - (.*))?$")
_NODE_FAILED = re.compile(r"parity vector failed: (.*)$")
_COUNT = re.compile(r"(parity vectors run by .*)$")


def vectors(python_job: _Job, node_job: _Job) -> tuple[list[str], list[str]]:
    """(count lines, failures) of both vector runners on the same files."""
    counts: list[str] = []
    failures: list[str] = []
    for language, job, failed in (
        ("python", python_job, _PYTEST_FAILED),
        ("typescript", node_job, _NODE_FAILED),
    ):
        status, stdout, stderr = job.result()
        named = []
        for line in stdout.splitlines():
            if match := failed.search(line):
                named.append(f"vector ({language}) {': '.join(g for g in match.groups() if g)}")
            elif match := _COUNT.search(line):
                counts.append(match.group(1))
        failures += named
        if status != 0 and not named:
            failures.append(f"vectors ({language}) failed:\n{stdout[-3000:]}{stderr[-3000:]}")
    return counts, failures


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__)
    parser.add_argument("--dump", type=Path, help="also write both raw manifests into this folder")
    parser.add_argument(
        "--propose", action="store_true", help="print allowlist entries for unexpected differences"
    )
    args = parser.parse_args(argv)
    ts_job = _Job(["node", str(ROOT / "parity" / "ts" / "manifest.mjs")], ROOT)
    python_job = _Job(
        [sys.executable, "-m", "pytest", "parity/test_vectors.py", *_PYTEST_OPTIONS], ROOT
    )
    node_job = _Job(["node", "--test", "parity/ts/vectors.test.mjs"], ROOT)
    failures = surfaces(ROOT, ts_job, args.dump, args.propose)
    counts, vector_failures = vectors(python_job, node_job)
    failures += vector_failures
    for line in counts:
        print(f"parity: {line}", flush=True)
    if failures:
        print(f"parity: FAILED, {len(failures)} problem(s)", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("parity: surfaces match (after the mapping and allowlist); one spec, one version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
