"""Build, check and publish mosaicstack-telemetry; a version already on the index is skipped.

Usage: publish.py build [--dev | --stamp YYYYMMDDHHMMSS] [--dist-dir DIR]
       publish.py publish [--dev | --stamp YYYYMMDDHHMMSS] [--dist-dir DIR]

publish reads TWINE_REPOSITORY_URL, TWINE_USERNAME and TWINE_PASSWORD and asks
PUBLISH_INDEX_URL (default: $TWINE_REPOSITORY_URL/simple/) whether the version exists.
Exit codes: 0 built, uploaded or already present; 1 build, check or upload failed; 2 bad
configuration; 3 index unreachable or unreadable.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

from _release import (
    ROOT,
    PublishError,
    check_stamp,
    committed_version,
    redact_url,
    run,
    same_origin,
)
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

NAME = "mosaicstack-telemetry"
STAMP_VAR = "MOSAICSTACK_TELEMETRY_DEV_STAMP"  # read by hatch_build.py
ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
TIMEOUT = 30


def build(dist_dir: Path, stamp: str | None, secrets: list[str]) -> tuple[str, list[Path]]:
    """Build sdist and wheel into dist_dir, twine-check them and return (version, files)."""
    expected = committed_version() if stamp is None else f"{committed_version()}.dev{stamp}"
    dist_dir.mkdir(parents=True, exist_ok=True)
    for old in dist_dir.glob("mosaicstack_telemetry-*"):
        old.unlink()
    # Builds never see the upload password; stable builds never see a stray stamp.
    env = {k: v for k, v in os.environ.items() if k not in ("TWINE_PASSWORD", STAMP_VAR)}
    if stamp is not None:
        env[STAMP_VAR] = stamp
    print(f"Building {NAME} {expected} into {dist_dir}")
    cmd = [sys.executable, "-m", "build", "--outdir", str(dist_dir), str(ROOT)]
    code, _ = run(cmd, env, secrets)
    if code != 0:
        raise PublishError(f"build failed (exit {code})")
    files = sorted(dist_dir.glob("mosaicstack_telemetry-*"))
    versions = {version_of(f.name) for f in files}
    if len(files) != 2 or versions != {Version(expected)}:
        names = ", ".join(f.name for f in files)
        raise PublishError(f"expected an sdist and a wheel of {expected}, got: {names}")
    cmd = [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)]
    code, _ = run(cmd, env, secrets)
    if code != 0:
        raise PublishError(f"twine check failed (exit {code})")
    return expected, files


def version_of(filename: str) -> Version | None:
    """The version of a distribution file of this project, or None for anything else."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return version if name == canonicalize_name(NAME) else None


class _Anchors(HTMLParser):
    """Collects the file names that a PEP 503 page links to."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            path = urllib.parse.urlsplit(href).path
            self.names.append(urllib.parse.unquote(path.rsplit("/", 1)[-1]))


def index_versions(index_url: str, auth: tuple[str, str] | None) -> set[Version]:
    """Versions of this project on a simple-API index (PEP 691 JSON or PEP 503 HTML)."""
    url = f"{index_url.rstrip('/')}/{canonicalize_name(NAME)}/"
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        # Unredirected: a redirect to another host must not carry the credentials along.
        request.add_unredirected_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            content_type = response.headers.get("Content-Type", "")
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return set()  # the project has never been published there
        message = f"index {redact_url(url)} answered HTTP {e.code} {e.reason}"
        raise PublishError(message, 3) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise PublishError(f"cannot reach index {redact_url(url)}: {reason}", 3) from None
    if "json" in content_type:
        try:
            data = json.loads(body)
            names = [f["filename"] for f in data.get("files", [])]
            listed = [Version(v) for v in data.get("versions", [])]  # PEP 700, when present
        except (ValueError, KeyError, TypeError) as e:
            raise PublishError(f"index {redact_url(url)} sent unreadable JSON: {e}", 3) from None
    else:
        parser = _Anchors()
        parser.feed(body)
        names, listed = parser.names, []
    return {v for v in map(version_of, names) if v is not None} | set(listed)


def publish(dist_dir: Path, stamp: str | None) -> None:
    """Build, check, and upload unless the index already has this version."""
    repo_url = os.environ.get("TWINE_REPOSITORY_URL", "").strip()
    username = os.environ.get("TWINE_USERNAME", "")
    password = os.environ.get("TWINE_PASSWORD", "")
    missing = [
        var
        for var, value in (
            ("TWINE_REPOSITORY_URL", repo_url),
            ("TWINE_USERNAME", username),
            ("TWINE_PASSWORD", password),
        )
        if not value
    ]
    if missing:
        raise PublishError(f"missing {', '.join(missing)}: set twine's variables to publish", 2)
    secrets = [password, base64.b64encode(f"{username}:{password}".encode()).decode()]
    index_url = os.environ.get("PUBLISH_INDEX_URL", "").strip() or f"{repo_url.rstrip('/')}/simple/"

    version, files = build(dist_dir, stamp, secrets)
    auth = (username, password) if same_origin(index_url, repo_url) else None
    present = index_versions(index_url, auth)
    if Version(version) in present:
        print(
            f"SKIPPED: {NAME} {version} is already on {redact_url(index_url)}; "
            "nothing was uploaded (a published version is never replaced)."
        )
        return

    print(f"Uploading {NAME} {version} to {redact_url(repo_url)}")
    cmd = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"]
    code, output = run([*cmd, *map(str, files)], dict(os.environ), secrets)
    if code != 0:
        hint = ""
        if re.search(r"\b(401|403)\b", output):
            hint = ": credentials rejected, check TWINE_USERNAME/TWINE_PASSWORD (package write)"
        elif re.search(r"\b(400|409)\b", output):
            hint = ": the index refused the files (already uploaded by someone else?)"
        raise PublishError(f"upload of {NAME} {version} rejected (twine exit {code}){hint}")
    print(f"PUBLISHED: {NAME} {version} to {redact_url(repo_url)}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "publish"])
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--dev", action="store_true", help="stamp .devYYYYMMDDHHMMSS (now, UTC)")
    kind.add_argument("--stamp", help="stamp .dev<STAMP> with this YYYYMMDDHHMMSS (UTC)")
    parser.add_argument("--dist-dir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keeps order in CI logs
    try:
        stamp = check_stamp(args.stamp) if args.stamp else None
        if args.dev:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        if args.command == "build":
            version, files = build(args.dist_dir.resolve(), stamp, [])
            print(f"BUILT: {NAME} {version}: {', '.join(f.name for f in files)}")
        else:
            publish(args.dist_dir.resolve(), stamp)
    except PublishError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
