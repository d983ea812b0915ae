"""Build-time version: the committed one, or `<version>.devYYYYMMDDHHMMSS` when a dev stamp is set.

Hatchling reads `build_version()` as the project version (`[tool.hatch.version]`) and runs
`DevVersionHook` on every build. A dev build ships a stamped copy of `_version.py` written to a
temporary directory, so the working tree is never modified and `__version__` matches the wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

DEV_STAMP_VAR = "MOSAICSTACK_TELEMETRY_DEV_STAMP"
VERSION_FILE = "src/mosaicstack_telemetry/_version.py"
_VERSION_RE = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)
# A dev sdist already carries a stamped _version.py; strip it so re-stamping is idempotent.
_DEV_SUFFIX_RE = re.compile(r"\.dev\d+$")


def committed_version(root: Path) -> str:
    """The version in `_version.py`, the single source."""
    match = _VERSION_RE.search((root / VERSION_FILE).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f'{VERSION_FILE} must contain a line `__version__ = "X.Y.Z"`')
    return match.group(1)


def dev_stamp() -> str | None:
    """The validated UTC stamp from the environment, or None for a stable build."""
    stamp = os.environ.get(DEV_STAMP_VAR, "").strip()
    if not stamp:
        return None
    try:
        # strptime alone accepts one-digit fields, hence the digit pattern too.
        if not re.fullmatch(r"\d{14}", stamp):
            raise ValueError
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise ValueError(f"{DEV_STAMP_VAR} must be YYYYMMDDHHMMSS (UTC), got {stamp!r}") from None
    return stamp


def build_version(root: Path | None = None) -> str:
    """The version this build gets."""
    version = committed_version(root or Path(__file__).resolve().parent)
    stamp = dev_stamp()
    if stamp is None:
        return version
    return f"{_DEV_SUFFIX_RE.sub('', version)}.dev{stamp}"


class DevVersionHook(BuildHookInterface):
    """Ship a `_version.py` carrying the build version when it differs from the committed one."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        built = self.metadata.version
        if version == "editable" or built == committed_version(root):
            return
        self._tmp = tempfile.mkdtemp(prefix="mosaicstack-version-")
        stamped = Path(self._tmp) / "_version.py"
        original = (root / VERSION_FILE).read_text(encoding="utf-8")
        stamped.write_text(_VERSION_RE.sub(f'__version__ = "{built}"', original), encoding="utf-8")
        # A forced file reserves its target, so the committed _version.py is left out.
        wheel_target = VERSION_FILE.removeprefix("src/")
        target = wheel_target if self.target_name == "wheel" else VERSION_FILE
        build_data["force_include"][str(stamped)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
