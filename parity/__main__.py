"""`python -m parity`: compare the shipped surfaces and check spec and version identity.

Exit 0 when every difference between the two manifests is on parity/allowlist.json with both of
its values and no allowlist entry is stale; otherwise print each offending item and exit 1.
`--dump DIR` also writes both raw manifests there; `--propose` prints allowlist entries for the
unexpected differences, with an empty reason to fill in (an entry without a reason is refused).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import compare, spec_identity

ROOT = Path(__file__).resolve().parent.parent


def python_manifest() -> dict[str, Any]:
    """The Python manifest, from the package this interpreter imports."""
    from . import manifest_py

    return manifest_py.manifest()


def ts_manifest(root: Path) -> dict[str, Any]:
    """The TypeScript manifest, from ts/dist (built beforehand) via node."""
    script = Path(__file__).parent / "ts" / "manifest.mjs"
    done = subprocess.run(
        ["node", str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "PARITY_ROOT": str(root)},
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"parity: the TypeScript manifest failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(root: Path, dump: Path | None = None, propose: bool = False) -> list[str]:
    """Every failure of the surface and identity layers, one line each."""
    python = python_manifest()
    ts = ts_manifest(root)
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
    ts_versions = {"VERSION": ts.get("version"), "package.json": ts.get("package_json_version")}
    failures += spec_identity.problems(root, python["version"], ts_versions)
    return failures


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m parity", description=__doc__)
    parser.add_argument("--dump", type=Path, help="also write both raw manifests into this folder")
    parser.add_argument(
        "--propose", action="store_true", help="print allowlist entries for unexpected differences"
    )
    args = parser.parse_args(argv)
    failures = run(ROOT, args.dump, args.propose)
    if failures:
        print(f"parity: {len(failures)} problem(s)", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("parity: surfaces match (after the mapping and allowlist), one spec, one version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
