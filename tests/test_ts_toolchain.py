"""`make check` never skips the TypeScript half: without Node.js it fails, saying how to get it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ts_targets_fail_with_install_advice_when_node_is_missing(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").symlink_to(make)  # a PATH with make but neither node nor npm
    for target in ("ts-node", "ts-check", "ts-test"):
        result = subprocess.run(
            [str(bin_dir / "make"), "--no-print-directory", target],
            cwd=ROOT,
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0, target
        assert "needs Node.js >= 18 and npm, which are not installed" in result.stdout
        assert "apt-get install nodejs npm" in result.stdout
