"""What a user gets from the registry: the licence, the metadata, the description; and `make demo`.

The sdist and the wheel are built for real (python -m build), once for the module.
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(sdist, wheel) built from the working tree."""
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    yield sdist, wheel
    shutil.rmtree(out, ignore_errors=True)


def _wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_string(archive.read(name).decode("utf-8"))


def test_the_mit_licence_is_at_the_root_and_in_sdist_and_wheel(dists: tuple[Path, Path]) -> None:
    sdist, wheel = dists
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n")
    with tarfile.open(sdist) as archive:
        (member,) = [m for m in archive.getmembers() if m.name.endswith("/LICENSE")]
        extracted = archive.extractfile(member)
        assert extracted is not None
        assert extracted.read().decode() == licence
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(name).decode() == licence
    metadata = _wheel_metadata(wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"


def test_the_published_metadata_pins_no_dev_tool(dists: tuple[Path, Path]) -> None:
    requires = _wheel_metadata(dists[1]).get_all("Requires-Dist") or []
    assert any("extra == 'dev'" in r for r in requires)
    assert [r for r in requires if "==" in r.split(";")[0]] == []


def test_the_long_description_is_the_user_readme_only(dists: tuple[Path, Path]) -> None:
    metadata = _wheel_metadata(dists[1])
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert description.strip() == (ROOT / "README.md").read_text(encoding="utf-8").strip()
    # Release and contributor material lives in docs/, not on the registry's page.
    for word in ("twine", "TWINE_", "make publish", "make build", "the reference"):
        assert word not in description
    assert re.search(r"\bissues? #?\d", description, re.IGNORECASE) is None
    assert len(description.splitlines()) <= 260


def test_make_demo_installs_the_server_extra_not_the_dev_tools(tmp_path: Path) -> None:
    # -n: print the commands only; -B: as on a fresh clone (nothing installed yet).
    cmd = ["make", "-n", "-B", "-C", str(ROOT), "demo", f"VENV={tmp_path / 'venv'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    installs = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert installs
    assert all("'.[server]'" in line and ".[dev]" not in line for line in installs), installs
    assert f"{tmp_path / 'venv'}/bin/mosaic-telemetry demo" in done.stdout


def test_make_check_still_installs_the_dev_tools(tmp_path: Path) -> None:
    cmd = ["make", "-n", "-B", "-C", str(ROOT), "check", f"VENV={tmp_path / 'venv'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    assert "-c constraints/dev.txt -e '.[dev]'" in done.stdout
