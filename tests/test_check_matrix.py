"""scripts/check-matrix.sh (make check-matrix) fails clearly when an interpreter is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check-matrix.sh"


def test_a_missing_interpreter_fails_with_a_message_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYENV_ROOT": str(tmp_path), "MATRIX_VERSIONS": "3.99"}
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert f"no Python 3.99 found (looked in {tmp_path}/versions/3.99.*" in result.stderr
    assert "check-matrix: FAILED on Python 3.99 (missing)" in result.stderr


def test_the_newest_patch_release_is_chosen_and_checked(tmp_path: Path) -> None:
    # Fake pyenv builds: 3.99.9 and 3.99.10 (newest), and a free-threaded 3.99.10t to ignore.
    for name in ("3.99.9", "3.99.10", "3.99.10t"):
        python = tmp_path / "versions" / name / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(f"#!/bin/sh\necho 3.98  # {name}\n")
        python.chmod(0o755)
    env = {**os.environ, "PYENV_ROOT": str(tmp_path), "MATRIX_VERSIONS": "3.99"}
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    # It picked 3.99.10 and refused it, because that interpreter says it is another version.
    assert f"{tmp_path}/versions/3.99.10/bin/python is Python 3.98, not 3.99" in result.stderr
