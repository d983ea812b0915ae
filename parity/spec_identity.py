"""Spec identity: every generated file names the spec's sha256, and both packages one version."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_SPEC_SHA = re.compile(r"sha256 ([0-9a-f]{64})")
SPEC = Path("schema") / "telemetry-api-v1.yaml"
GENERATED = (
    (Path("src") / "mosaicstack_telemetry" / "_generated", "*.py"),
    (Path("ts") / "src" / "generated", "*.ts"),
)


def spec_sha256(root: Path) -> str:
    """The sha256 of the committed spec."""
    return hashlib.sha256((root / SPEC).read_bytes()).hexdigest()


def header_hashes(root: Path) -> dict[str, str | None]:
    """The spec sha256 each generated file's header names (None: no header)."""
    found: dict[str, str | None] = {}
    for directory, pattern in GENERATED:
        for path in sorted((root / directory).glob(pattern)):
            match = _SPEC_SHA.search(path.read_text(encoding="utf-8")[:400])
            found[path.relative_to(root).as_posix()] = match.group(1) if match else None
    return found


def problems(root: Path, python_version: str, ts_versions: dict[str, str]) -> list[str]:
    """What breaks spec identity or version identity, one message each."""
    expected = spec_sha256(root)
    found = []
    hashes = header_hashes(root)
    for language, prefix in (("python", "src/"), ("typescript", "ts/")):
        if not any(name.startswith(prefix) for name in hashes):
            found.append(f"spec identity: no generated {language} files found")
    for name, sha in hashes.items():
        if sha != expected:
            found.append(
                f"spec identity: {name} was generated from spec sha256 {sha}, "
                f"but {SPEC.as_posix()} has sha256 {expected}"
            )
    for where, version in ts_versions.items():
        if version != python_version:
            found.append(f"version: python {python_version!r}, typescript {where} {version!r}")
    return found
