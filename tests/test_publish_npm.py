"""`make publish-npm` / `make publish-npm-dev` against a real npm registry (verdaccio) on 127.0.0.1.

The registry requires a token for every read and write (htpasswd user, token from `npm login`'s
request). The test publishes ts/ as the pipeline does, checks the skip and the dist-tags, installs
the package from the registry into fresh folders with a scoped .npmrc, as the integration guide
tells users to, and tracks an event with it against the project's local server.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import mosaicstack_telemetry
from tests.local_server import LocalServer
from tests.npm_registry import NpmRegistry
from tests.package_index import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "publish_npm.py"
PACKAGE_DIR = ROOT / "ts"
NAME = "@mosaicstack/telemetry-client"
COMMITTED = mosaicstack_telemetry.__version__  # the editable install reads _version.py
TIMEOUT = 600  # seconds per publish or install: npm ci + tsc on a loaded machine

# The integration guide's Node-service example, with the URL, key and instance from the
# environment, and what happened printed for the test.
TRACK_SCRIPT = """
import {
  TelemetryClient, VERSION, TaskType, Complexity, Harness, Provider, Outcome, QualityGate,
} from '@mosaicstack/telemetry-client';

const errors = [];
const telemetry = new TelemetryClient({
  serverUrl: process.env.TELEMETRY_API_URL,
  apiKey: process.env.TELEMETRY_API_KEY,
  instanceId: process.env.TELEMETRY_INSTANCE_ID,
  onError: (err) => errors.push(err.message),
});
telemetry.start();
const event = telemetry.eventBuilder.build({
  task_duration_ms: 45000,
  task_type: TaskType.IMPLEMENTATION,
  complexity: Complexity.HIGH,
  harness: Harness.CLAUDE_CODE,
  model: 'claude-sonnet-4-5-20250929',
  provider: Provider.ANTHROPIC,
  estimated_input_tokens: 200000,
  estimated_output_tokens: 80000,
  actual_input_tokens: 215000,
  actual_output_tokens: 72000,
  estimated_cost_usd_micros: 1200000,
  actual_cost_usd_micros: 1150000,
  quality_gate_passed: true,
  quality_gates_run: [QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST],
  quality_gates_failed: [],
  context_compactions: 3,
  context_rotations: 1,
  context_utilization_final: 0.85,
  outcome: Outcome.SUCCESS,
  retry_count: 0,
  language: 'typescript',
  repo_size_category: 'medium',
});
telemetry.track(event);
await telemetry.stop();
console.log(JSON.stringify({
  version: VERSION, eventId: event.event_id, queueSize: telemetry.queueSize, errors,
}));
"""


def _environment(**extra: str) -> dict[str, str]:
    """The caller's environment without any npm or telemetry settings of its own."""
    own = ("NPM_", "npm_", "TELEMETRY_", "MOSAIC")
    return {k: v for k, v in os.environ.items() if not k.startswith(own)} | extra


def make(
    target: str, registry: NpmRegistry, dist: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run a publish target as the pipeline does, with the registry's URL and token."""
    variables = {"NPM_REGISTRY_URL": registry.url, "NPM_TOKEN": registry.token, **env}
    cmd = ["make", "--no-print-directory", target, f"NPM_PUBLISH_ARGS=--dist-dir {dist}"]
    return subprocess.run(
        cmd,
        cwd=ROOT,
        env=_environment(**variables),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def npm_install(registry: NpmRegistry, spec: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """`npm install spec` into a fresh folder whose .npmrc points @mosaicstack at the registry."""
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "consumer", "private": true, "type": "module"}')
    host = registry.url.removeprefix("http:")
    (folder / ".npmrc").write_text(
        f"@mosaicstack:registry={registry.url}\n{host}:_authToken=${{NPM_TOKEN}}\n"
    )
    cmd = ["npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", spec]
    done = subprocess.run(
        cmd,
        cwd=folder,
        env=_environment(NPM_TOKEN=registry.token),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def installed_manifest(folder: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(
        (folder / "node_modules" / NAME / "package.json").read_text()
    )
    return manifest


def stored_event_ids(server: LocalServer) -> list[str]:
    """event_ids in the local server's database, read directly."""
    with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT event_id FROM events")]


def tree_state() -> dict[str, bytes]:
    """The committed files that carry the version: a dev publish must leave them as they are."""
    paths = ("package.json", "package-lock.json", "src/version.ts")
    return {p: (PACKAGE_DIR / p).read_bytes() for p in paths if (PACKAGE_DIR / p).exists()}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NpmRegistry]:
    """verdaccio on a free port, every read and write behind a token."""
    with NpmRegistry(tmp_path_factory.mktemp("npm-registry")) as server:
        yield server


def test_publish_skip_dev_tag_install_and_track(
    registry: NpmRegistry, local_server: LocalServer, tmp_path: Path
) -> None:
    """The whole npm release path against one real registry, as the pipeline and a user meet it."""
    dist = tmp_path / "dist"
    before = tree_state()
    assert registry.packument(NAME) is None

    stable = make("publish-npm", registry, dist)
    assert stable.returncode == 0, stable.stdout + stable.stderr
    assert f"PUBLISHED: {NAME} {COMMITTED} to {registry.url} (dist-tag latest)" in stable.stdout
    assert (dist / f"mosaicstack-telemetry-client-{COMMITTED}.tgz").is_file()
    document = registry.packument(NAME)
    assert document is not None
    assert set(document["versions"]) == {COMMITTED}
    assert document["dist-tags"] == {"latest": COMMITTED}

    again = make("publish-npm", registry, dist)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"SKIPPED: {NAME} {COMMITTED} is already on {registry.url}" in again.stdout
    assert "nothing was published" in again.stdout
    assert "Publishing" not in again.stdout
    assert registry.packument(NAME) == document

    dev = make("publish-npm-dev", registry, dist)
    assert dev.returncode == 0, dev.stdout + dev.stderr
    match = re.search(
        rf"PUBLISHED: {NAME} (\S+) to {re.escape(registry.url)} \(dist-tag dev\)", dev.stdout
    )
    assert match, dev.stdout
    dev_version = match.group(1)
    stamp = re.fullmatch(rf"{re.escape(COMMITTED)}-dev\.(\d{{14}})", dev_version)
    assert stamp, dev_version
    stamped_at = datetime.strptime(stamp.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - stamped_at).total_seconds()) < 900  # UTC, now
    document = registry.packument(NAME)
    assert document is not None
    assert set(document["versions"]) == {COMMITTED, dev_version}
    assert document["dist-tags"] == {"latest": COMMITTED, "dev": dev_version}
    # The stamp went into the packed copy only.
    assert tree_state() == before

    for run in (stable, again, dev):
        assert registry.token not in run.stdout + run.stderr
        assert registry.password not in run.stdout + run.stderr

    # A user's install of the default (latest) tag, then the guide's example against the server.
    consumer = tmp_path / "consumer"
    installed = npm_install(registry, NAME, consumer)
    assert registry.token not in installed.stdout + installed.stderr
    manifest = installed_manifest(consumer)
    assert manifest["version"] == COMMITTED
    assert not manifest.get("dependencies")  # zero runtime dependencies
    assert not (consumer / "node_modules" / NAME / "src").exists()  # dist/ only
    (consumer / "track.mjs").write_text(TRACK_SCRIPT)
    env = _environment(
        TELEMETRY_API_URL=local_server.url,
        TELEMETRY_API_KEY=local_server.api_key,
        TELEMETRY_INSTANCE_ID=local_server.instance_id,
    )
    tracked = subprocess.run(
        ["node", "track.mjs"], cwd=consumer, env=env, capture_output=True, text=True, timeout=120
    )
    assert tracked.returncode == 0, tracked.stdout + tracked.stderr
    report = json.loads(tracked.stdout.strip().splitlines()[-1])
    assert report == {
        "version": COMMITTED,
        "eventId": report["eventId"],
        "queueSize": 0,
        "errors": [],
    }
    assert stored_event_ids(local_server) == [report["eventId"]]

    # `@dev` resolves to the dev build, which reports its own version.
    dev_consumer = tmp_path / "dev-consumer"
    npm_install(registry, f"{NAME}@dev", dev_consumer)
    assert installed_manifest(dev_consumer)["version"] == dev_version
    probe = "import { VERSION } from '@mosaicstack/telemetry-client'; console.log(VERSION);"
    shown = subprocess.run(
        ["node", "--input-type=module", "-e", probe],
        cwd=dev_consumer,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.strip() == dev_version


def test_failures_exit_with_their_code_and_never_print_the_token(
    registry: NpmRegistry, tmp_path: Path
) -> None:
    """Missing settings exit 2, an unreachable registry 3, a rejected token 1; nothing leaks."""
    dist = tmp_path / "dist"

    def publish(dev_stamp: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        variables = {"NPM_REGISTRY_URL": registry.url, "NPM_TOKEN": registry.token, **env}
        kind = ["--stamp", dev_stamp] if dev_stamp else ["--dev"]
        cmd = [sys.executable, str(SCRIPT), "publish", *kind, "--dist-dir", str(dist)]
        return subprocess.run(
            cmd, env=_environment(**variables), capture_output=True, text=True, timeout=120
        )

    missing = publish(NPM_REGISTRY_URL="", NPM_TOKEN="")
    assert missing.returncode == 2
    assert "missing NPM_REGISTRY_URL, NPM_TOKEN: set them to publish" in missing.stderr

    with_password = publish(NPM_REGISTRY_URL=f"http://ci-bot:{registry.password}@127.0.0.1:9/")
    assert with_password.returncode == 2
    assert "NPM_REGISTRY_URL must not carry credentials" in with_password.stderr

    closed = f"http://127.0.0.1:{free_port()}/"
    unreachable = publish(NPM_REGISTRY_URL=closed)
    assert unreachable.returncode == 3, unreachable.stdout + unreachable.stderr
    assert f"cannot reach registry {closed}" in unreachable.stderr

    wrong = "wrong-" + registry.token[::-1]
    rejected = publish(NPM_TOKEN=wrong)
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "answered HTTP 401: credentials rejected, check NPM_TOKEN" in rejected.stderr

    assert not dist.exists()  # each stopped before building anything

    # A token that may read but not publish: built and packed, then refused by the registry.
    stamp = "20000101000000"
    read_only = publish(stamp, NPM_TOKEN=registry.reader_token)
    assert read_only.returncode == 1, read_only.stdout + read_only.stderr
    assert f"npm publish of {NAME} {COMMITTED}-dev.{stamp} failed" in read_only.stderr
    assert "credentials rejected, check NPM_TOKEN (it needs package write)" in read_only.stderr
    document = registry.packument(NAME)
    assert document is None or f"{COMMITTED}-dev.{stamp}" not in document["versions"]

    for run in (missing, with_password, unreachable, rejected, read_only):
        output = run.stdout + run.stderr
        for secret in (registry.token, registry.password, wrong, registry.reader_token):
            assert secret not in output


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_versions_out_of_step_fail_the_check_until_synced(tmp_path: Path) -> None:
    """check-version (in `make check`) names every file that disagrees; sync-version fixes them."""
    package = tmp_path / "ts"
    shutil.copytree(
        PACKAGE_DIR, package, ignore=shutil.ignore_patterns("node_modules", "dist*", "build*")
    )
    assert _script("check-version", "--package-dir", str(package)).returncode == 0

    manifest = json.loads((package / "package.json").read_text())
    manifest["version"] = "9.9.9"
    (package / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    version_ts = package / "src" / "version.ts"
    version_ts.write_text(version_ts.read_text().replace(COMMITTED, "9.9.8"))
    lock_before = (package / "package-lock.json").read_text()

    out_of_step = _script("check-version", "--package-dir", str(package))
    assert out_of_step.returncode == 2
    assert "package.json has '9.9.9'" in out_of_step.stderr
    assert "src/version.ts has '9.9.8'" in out_of_step.stderr
    assert "package-lock.json" not in out_of_step.stderr  # only the files that disagree
    assert f"_version.py has '{COMMITTED}'" in out_of_step.stderr
    assert "make sync-version" in out_of_step.stderr

    synced = _script("sync-version", "--package-dir", str(package))
    assert synced.returncode == 0, synced.stderr
    assert json.loads((package / "package.json").read_text())["version"] == COMMITTED
    assert f"VERSION = '{COMMITTED}'" in version_ts.read_text()
    assert (package / "package-lock.json").read_text() == lock_before  # already right: untouched
    assert _script("check-version", "--package-dir", str(package)).returncode == 0


def test_the_committed_package_has_the_committed_version() -> None:
    """What `make check` runs: ts/ and _version.py agree in this checkout."""
    result = _script("check-version")
    assert result.returncode == 0, result.stderr
    assert f"both at {COMMITTED}" in result.stdout


def test_npmrc_for_a_registry_under_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gitea serves npm under a path: the scope and the token line both carry it, not the token."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    publish_npm = importlib.import_module("publish_npm")
    monkeypatch.setenv("NPM_REGISTRY_URL", "https://git.mosaicstack.dev/api/packages/mosaic/npm")
    registry = publish_npm._registry_url()
    assert registry == "https://git.mosaicstack.dev/api/packages/mosaic/npm/"
    npmrc = publish_npm.write_npmrc(tmp_path, registry)
    assert npmrc.read_text() == (
        "@mosaicstack:registry=https://git.mosaicstack.dev/api/packages/mosaic/npm/\n"
        "//git.mosaicstack.dev/api/packages/mosaic/npm/:_authToken=${NPM_TOKEN}\n"
    )
    assert npmrc.stat().st_mode & 0o777 == 0o600
