"""Helpers shared by the publish scripts (publish.py, publish_npm.py); standard library only.

publish_npm.py runs in the pipeline's node image with the system Python and no virtualenv, so
nothing here may import a third-party package.
"""

from __future__ import annotations

import re
import subprocess
import urllib.parse
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = ROOT / "src" / "mosaicstack_telemetry" / "_version.py"


class PublishError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def committed_version() -> str:
    """The version as committed in `_version.py`, the one source for both packages."""
    match = re.search(r'^__version__ = "([^"]+)"$', VERSION_FILE.read_text(), re.MULTILINE)
    if match is None:
        raise PublishError(f"no __version__ line in {VERSION_FILE}", 2)
    return match.group(1)


def check_stamp(stamp: str) -> str:
    """Validate a YYYYMMDDHHMMSS UTC stamp."""
    try:
        # strptime alone accepts one-digit fields, hence the digit pattern too.
        if not re.fullmatch(r"\d{14}", stamp):
            raise ValueError
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise PublishError(f"dev stamp must be YYYYMMDDHHMMSS (UTC), got {stamp!r}", 2) from None
    return stamp


def scrub(text: str, secrets: list[str]) -> str:
    """Remove every secret, plain, URL-quoted or inside a Basic auth header, from text."""
    for secret in filter(None, secrets):
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}:
            text = text.replace(form, "***")
    return text


def redact_url(url: str) -> str:
    """Drop any user:password@ from a URL before printing it."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port (credentials go nowhere else)."""
    pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def run(
    cmd: list[str], env: dict[str, str], secrets: list[str], cwd: Path = ROOT
) -> tuple[int, str]:
    """Run a command, print its scrubbed output and return (exit code, scrubbed output)."""
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise PublishError(f"{cmd[0]} not found: install it (see docs/release.md)", 2) from None
    output = scrub(proc.stdout, secrets)
    if output.strip():
        print(output.rstrip())
    return proc.returncode, output
