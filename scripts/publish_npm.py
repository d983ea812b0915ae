"""Check, pack and publish @mosaicstack/telemetry-client (ts/); a version already there is skipped.

Usage: publish_npm.py check-version | sync-version
       publish_npm.py pack [--dev | --stamp YYYYMMDDHHMMSS] [--dist-dir DIR]
       publish_npm.py publish [--dev | --stamp YYYYMMDDHHMMSS] [--dist-dir DIR]

The version comes from src/mosaicstack_telemetry/_version.py, the one source for both packages:
check-version fails when ts/package.json, ts/package-lock.json or the VERSION constant of
ts/src/version.ts says otherwise, sync-version writes it there. A dev build is
X.Y.Z-dev.YYYYMMDDHHMMSS under the dist-tag `dev`, stamped into the packed copy only; a stable
one is X.Y.Z under `latest`.

publish reads NPM_REGISTRY_URL and NPM_TOKEN, asks the registry whether the version exists and
otherwise runs `npm publish` with a scoped .npmrc written for the run into a private temporary
directory (it names $NPM_TOKEN, never the token itself). Exit codes: 0 packed, published or
already present; 1 build, pack or publish failed, or credentials rejected; 2 bad configuration
(missing variables, bad stamp, versions out of step, npm missing); 3 registry unreachable or
unreadable. Standard library only: the pipeline runs it with the node image's system Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from _release import (
    ROOT,
    VERSION_FILE,
    PublishError,
    check_stamp,
    committed_version,
    redact_url,
    run,
    scrub,
)

NAME = "@mosaicstack/telemetry-client"
PACKAGE_DIR = ROOT / "ts"
VERSION_MODULE = Path("src", "version.ts")  # `export const VERSION = 'X.Y.Z'`, in the User-Agent
TOKEN_VAR = "NPM_TOKEN"
TIMEOUT = 30
_SEMVER = re.compile(r"\d+\.\d+\.\d+")
# The constant in version.ts, and in the version.js and version.d.ts that tsc makes of it.
_VERSION_CONST = re.compile(
    r"""(export (?:declare )?const VERSION(?:: string)? = )(['"])([^'"]*)\2"""
)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def npm_version(stamp: str | None) -> str:
    """The npm version of this build: X.Y.Z, or X.Y.Z-dev.<stamp>."""
    version = committed_version()
    if not _SEMVER.fullmatch(version):
        raise PublishError(
            f"{_relative(VERSION_FILE)} has {version!r}; both packages need a plain X.Y.Z", 2
        )
    return version if stamp is None else f"{version}-dev.{stamp}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PublishError(f"cannot read {_relative(path)}: {e}", 2) from None
    if not isinstance(data, dict):
        raise PublishError(f"{_relative(path)} is not a JSON object", 2)
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # npm's own layout (two spaces, trailing newline), so npm rewriting the file changes nothing.
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _version_fields(package_dir: Path) -> list[tuple[str, str | None]]:
    """Every place the package's own version is written: (where, value)."""
    manifest = _read_json(package_dir / "package.json")
    fields: list[tuple[str, str | None]] = [("package.json", manifest.get("version"))]
    lock_path = package_dir / "package-lock.json"
    if lock_path.exists():
        lock = _read_json(lock_path)
        root = lock.get("packages", {}).get("", {})
        fields.append(("package-lock.json", lock.get("version")))
        fields.append(('package-lock.json packages[""]', root.get("version")))
    module = package_dir / VERSION_MODULE
    if module.exists():
        match = _VERSION_CONST.search(module.read_text(encoding="utf-8"))
        fields.append((str(VERSION_MODULE), match.group(3) if match else None))
    return fields


def _stamp_constant(path: Path, old: str, new: str) -> None:
    """Rewrite the VERSION constant in path from old to new."""
    text = path.read_text(encoding="utf-8")
    match = _VERSION_CONST.search(text)
    if match is None or match.group(3) != old:
        found = match.group(3) if match else "no VERSION constant"
        raise PublishError(f"{path.name} has {found}, expected {old}")
    quote = match.group(2)
    stamped = text[: match.start()] + f"{match.group(1)}{quote}{new}{quote}" + text[match.end() :]
    path.write_text(stamped, encoding="utf-8")


def check_version(package_dir: Path) -> str:
    """Fail unless ts/ carries the committed version everywhere it writes its own version."""
    expected = npm_version(None)
    wrong = [
        f"{where} has {value!r}"
        for where, value in _version_fields(package_dir)
        if value != expected
    ]
    if wrong:
        raise PublishError(
            f"{_relative(package_dir)}: {'; '.join(wrong)}, but {_relative(VERSION_FILE)} has "
            f"{expected!r} (the one source of both versions): run `make sync-version`",
            2,
        )
    return expected


def sync_version(package_dir: Path) -> str:
    """Write the committed version into ts/package.json, package-lock.json and src/version.ts."""
    version = npm_version(None)
    manifest_path = package_dir / "package.json"
    manifest = _read_json(manifest_path)
    manifest["version"] = version
    _write_json(manifest_path, manifest)
    lock_path = package_dir / "package-lock.json"
    if lock_path.exists():
        lock = _read_json(lock_path)
        lock["version"] = version
        lock.setdefault("packages", {}).setdefault("", {})["version"] = version
        _write_json(lock_path, lock)
    module = package_dir / VERSION_MODULE
    if module.exists():
        match = _VERSION_CONST.search(module.read_text(encoding="utf-8"))
        if match is None:
            raise PublishError(f"no `export const VERSION = '...'` in {_relative(module)}", 2)
        _stamp_constant(module, match.group(3), version)
    return version


def _npm_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment npm runs with: never the token unless a step needs it."""
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VAR}
    env["NPM_CONFIG_UPDATE_NOTIFIER"] = "false"  # no "new npm available" in release logs
    env.update(extra or {})
    return env


def _check_files(manifest: dict[str, Any], names: set[str]) -> None:
    """Every file that package.json points to is in the tarball."""
    pointed: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            pointed.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    for key in ("main", "types", "exports"):
        collect(manifest.get(key))
    missing = sorted(
        {p for p in pointed if "*" not in p and f"package/{p.removeprefix('./')}" not in names}
    )
    if missing:
        raise PublishError(
            f"the packed package lacks files its package.json names: {', '.join(missing)}"
        )


def pack(package_dir: Path, dist_dir: Path, stamp: str | None) -> tuple[str, Path]:
    """Install, build and pack ts/ into dist_dir as the release version; return (version, tgz)."""
    committed = check_version(package_dir)
    version = npm_version(stamp)
    dist_dir.mkdir(parents=True, exist_ok=True)
    env = _npm_env()
    print(f"Packing {NAME} {version} into {dist_dir}")
    for step in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "--if-present", "build"]):
        code, _ = run(step, env, [], cwd=package_dir)
        if code != 0:
            raise PublishError(f"`{' '.join(step)}` failed (exit {code})")
    with tempfile.TemporaryDirectory(prefix="mosaic-npm-pack-") as tmp:
        stage = Path(tmp)
        cmd = ["npm", "pack", "--loglevel=warn", "--pack-destination", str(stage)]
        code, _ = run([*cmd, "--ignore-scripts"], env, [], cwd=package_dir)
        tarballs = list(stage.glob("*.tgz"))
        if code != 0 or len(tarballs) != 1:
            raise PublishError(f"npm pack failed (exit {code})")
        with tarfile.open(tarballs[0]) as tar:
            names = set(tar.getnames())
            # The "data" filter where this Python has it (3.10.12+, 3.11.4+); the tarball is
            # the one npm just made from this repository either way.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(stage / "unpacked", **safe)  # type: ignore[arg-type]
        package = stage / "unpacked" / "package"
        manifest = _read_json(package / "package.json")
        if manifest.get("name") != NAME or manifest.get("version") != committed:
            found = f"{manifest.get('name')} {manifest.get('version')}"
            raise PublishError(f"npm pack made {found}, expected {NAME} {committed}")
        _check_files(manifest, names)
        # The stamp goes into the packed copy only: the working tree keeps X.Y.Z.
        manifest["version"] = version
        _write_json(package / "package.json", manifest)
        for name in ("version.js", "version.d.ts"):
            for path in package.rglob(name):
                _stamp_constant(path, committed, version)
        for old in dist_dir.glob("mosaicstack-telemetry-client-*.tgz"):
            old.unlink()
        cmd = ["npm", "pack", str(package), "--ignore-scripts", "--pack-destination", str(dist_dir)]
        code, _ = run(cmd, env, [], cwd=stage)
    tgz = dist_dir / f"mosaicstack-telemetry-client-{version}.tgz"
    if code != 0 or not tgz.is_file():
        raise PublishError(f"npm pack of the stamped package failed (exit {code})")
    return version, tgz


def registry_versions(registry: str, token: str) -> set[str]:
    """Versions of the package on the registry (empty if it was never published there)."""
    url = registry + NAME.replace("/", "%2f")  # the path npm itself asks for
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    # Unredirected: a redirect to another host must not carry the token along.
    request.add_unredirected_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return set()
        if e.code in (401, 403):
            raise PublishError(
                f"registry {redact_url(url)} answered HTTP {e.code}: credentials rejected, "
                f"check {TOKEN_VAR} (it needs package read and write)"
            ) from None
        raise PublishError(
            f"registry {redact_url(url)} answered HTTP {e.code} {e.reason}", 3
        ) from None
    except (urllib.error.URLError, OSError) as e:
        reason = scrub(str(getattr(e, "reason", e)), [token])
        raise PublishError(f"cannot reach registry {redact_url(url)}: {reason}", 3) from None
    try:
        versions = json.loads(body).get("versions", {})
        return {str(v) for v in versions}
    except (ValueError, AttributeError) as e:
        raise PublishError(f"registry {redact_url(url)} sent unreadable JSON: {e}", 3) from None


def write_npmrc(directory: Path, registry: str) -> Path:
    """A .npmrc that sends @mosaicstack to the registry with the token from $NPM_TOKEN."""
    parts = urllib.parse.urlsplit(registry)
    # npm matches credentials on `//host[:port]/path/`, the registry URL without its scheme.
    nerf = f"//{parts.netloc}{parts.path}"
    npmrc = directory / ".npmrc"
    npmrc.write_text(
        f"@mosaicstack:registry={registry}\n{nerf}:_authToken=${{{TOKEN_VAR}}}\n", encoding="utf-8"
    )
    npmrc.chmod(0o600)
    return npmrc


def _registry_url() -> str:
    registry = os.environ.get("NPM_REGISTRY_URL", "").strip()
    parts = urllib.parse.urlsplit(registry)
    if parts.username or parts.password:
        raise PublishError(
            "NPM_REGISTRY_URL must not carry credentials: put the token in NPM_TOKEN", 2
        )
    if registry and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise PublishError(f"NPM_REGISTRY_URL must be an http(s) URL, got {registry!r}", 2)
    return registry.rstrip("/") + "/" if registry else ""


def publish(package_dir: Path, dist_dir: Path, stamp: str | None) -> None:
    """Pack, and publish under `dev` or `latest` unless the registry already has this version."""
    registry = _registry_url()
    token = os.environ.get(TOKEN_VAR, "").strip()
    missing = [
        var for var, value in (("NPM_REGISTRY_URL", registry), (TOKEN_VAR, token)) if not value
    ]
    if missing:
        raise PublishError(f"missing {', '.join(missing)}: set them to publish", 2)
    tag = "latest" if stamp is None else "dev"

    check_version(package_dir)
    version = npm_version(stamp)
    # Asked before building: a version that is already there needs no build, and a wrong token
    # or an unreachable registry is reported at once.
    if version in registry_versions(registry, token):
        print(
            f"SKIPPED: {NAME} {version} is already on {redact_url(registry)}; "
            "nothing was published (a published version is never replaced)."
        )
        return
    _, tgz = pack(package_dir, dist_dir, stamp)

    print(f"Publishing {NAME} {version} to {redact_url(registry)} under the dist-tag {tag}")
    with tempfile.TemporaryDirectory(prefix="mosaic-npm-publish-") as tmp:
        npmrc = write_npmrc(Path(tmp), registry)
        cmd = ["npm", "publish", str(tgz), "--tag", tag, "--userconfig", str(npmrc)]
        # npm's debug log stays in the temporary directory, deleted with it.
        cmd += ["--logs-dir", tmp, "--no-audit", "--no-fund"]
        code, output = run(cmd, _npm_env({TOKEN_VAR: token}), [token], cwd=Path(tmp))
    if code != 0:
        hint = ""
        if re.search(r"\b(E?401|E?403)\b", output):
            hint = f": credentials rejected, check {TOKEN_VAR} (it needs package write)"
        elif re.search(r"\b(E?409|EPUBLISHCONFLICT)\b", output):
            hint = ": the registry refused it (published by someone else meanwhile?)"
        raise PublishError(f"npm publish of {NAME} {version} failed (exit {code}){hint}")
    print(f"PUBLISHED: {NAME} {version} to {redact_url(registry)} (dist-tag {tag})")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check-version", "sync-version", "pack", "publish"])
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--dev", action="store_true", help="version X.Y.Z-dev.YYYYMMDDHHMMSS (now, UTC)"
    )
    kind.add_argument("--stamp", help="version X.Y.Z-dev.<STAMP> with this YYYYMMDDHHMMSS (UTC)")
    parser.add_argument("--dist-dir", type=Path, default=ROOT / "dist")
    parser.add_argument("--package-dir", type=Path, default=PACKAGE_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keeps order in CI logs
    package_dir = args.package_dir.resolve()
    try:
        stamp = check_stamp(args.stamp) if args.stamp else None
        if args.dev:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        if args.command == "check-version":
            print(f"{NAME} and mosaicstack-telemetry are both at {check_version(package_dir)}")
        elif args.command == "sync-version":
            print(f"{_relative(package_dir)} now carries {sync_version(package_dir)}")
        elif args.command == "pack":
            version, tgz = pack(package_dir, args.dist_dir.resolve(), stamp)
            print(f"PACKED: {NAME} {version}: {tgz.name}")
        else:
            publish(package_dir, args.dist_dir.resolve(), stamp)
    except PublishError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
