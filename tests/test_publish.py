"""scripts/publish.py against a real pypiserver on 127.0.0.1: publish, skip, install, fail clearly.

Runtime dependencies (httpx, pydantic, ...) are downloaded once with the machine's normal pip
configuration and served by the same local index, so installs use `--index-url` alone with every
pip config file switched off: what gets installed can only come from the index under test.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import mosaicstack_telemetry
from tests.package_index import PackageIndex, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "publish.py"
NAME = "mosaicstack-telemetry"
COMMITTED = mosaicstack_telemetry.__version__  # the editable install reads _version.py
OWN_VARS = ("TWINE_", "PUBLISH_INDEX_URL", "MOSAICSTACK_TELEMETRY_DEV_STAMP")

PROBE = """
import importlib.metadata as md, json
import mosaicstack_telemetry, mosaicstack_telemetry._generated.endpoints
print(json.dumps({
    "version": mosaicstack_telemetry.__version__,
    "dist_version": md.version("mosaicstack-telemetry"),
    "file": mosaicstack_telemetry.__file__,
    "files": [str(f) for f in md.files("mosaicstack-telemetry")],
}))
"""


@pytest.fixture(scope="module")
def deps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the runtime dependencies, fetched with the machine's ordinary pip setup."""
    dest = tmp_path_factory.mktemp("deps")
    requirements = [r for r in importlib.metadata.requires(NAME) or [] if "extra ==" not in r]
    assert requirements, "the package declares runtime dependencies"
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:"]
    subprocess.run([*cmd, "--dest", str(dest), *requirements], check=True, timeout=300)
    return dest


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, deps_dir: Path) -> Iterator[PackageIndex]:
    """A pypiserver with upload auth that also serves the dependency wheels."""
    with PackageIndex(tmp_path_factory.mktemp("index"), (deps_dir,)) as server:
        yield server


def publish(
    index: PackageIndex, dist: Path, *args: str, password: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the publish script as the pipeline does, with twine's variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARS)}
    base |= {
        "TWINE_REPOSITORY_URL": index.url,
        "TWINE_USERNAME": index.username,
        "TWINE_PASSWORD": index.password if password is None else password,
        **env,
    }
    cmd = [sys.executable, str(SCRIPT), "publish", "--dist-dir", str(dist), *args]
    return subprocess.run(cmd, env=base, capture_output=True, text=True, timeout=600, check=False)


def install(index: PackageIndex, spec: str, venv: Path) -> dict[str, Any]:
    """Install spec into a fresh virtualenv from the index alone; return what it reports."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["PIP_CONFIG_FILE"] = os.devnull  # no machine-wide extra indexes or find-links
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-cache-dir"]
    cmd += ["--disable-pip-version-check", "--only-binary", ":all:"]
    cmd += ["--index-url", index.simple_url, spec]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = subprocess.run(
        [str(python), "-c", PROBE], env=env, cwd=venv, capture_output=True, text=True, check=True
    )
    return dict(json.loads(probe.stdout))


def assert_installed_wheel(report: dict[str, Any], version: str, venv: Path) -> None:
    """The import came from the venv's wheel at this version, with py.typed and generated code."""
    assert report["version"] == version
    assert report["dist_version"] == version
    assert Path(report["file"]).resolve().is_relative_to(venv.resolve())
    files = set(report["files"])
    for name in ("py.typed", "_generated/models.py", "_generated/endpoints.py", "_version.py"):
        assert f"mosaicstack_telemetry/{name}" in files
    assert not [f for f in files if f.startswith("tests/")]
    assert (Path(report["file"]).parent / "py.typed").is_file()


def assert_sdist(path: Path, version: str) -> None:
    """The sdist can rebuild everything: spec, generator, build hook, at this version."""
    top = f"mosaicstack_telemetry-{version}"
    with tarfile.open(path) as sdist:
        names = set(sdist.getnames())
        for name in (
            "schema/telemetry-api-v1.yaml",
            "codegen/__main__.py",
            "hatch_build.py",
            "src/mosaicstack_telemetry/py.typed",
            "src/mosaicstack_telemetry/_generated/models.py",
        ):
            assert f"{top}/{name}" in names
        member = sdist.extractfile(f"{top}/src/mosaicstack_telemetry/_version.py")
        assert member is not None
        assert f'__version__ = "{version}"' in member.read().decode()


def git_status() -> str | None:
    """`git status --porcelain` of the repository, or None outside a git checkout."""
    if not (ROOT / ".git").exists():
        return None
    cmd = ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def test_publish_stable_and_dev_skip_existing_and_install(
    index: PackageIndex, tmp_path: Path
) -> None:
    """The whole release path against one real index, as the pipeline and a user meet it."""
    dist = tmp_path / "dist"
    version_file = ROOT / "src" / "mosaicstack_telemetry" / "_version.py"
    version_stat = (version_file.read_bytes(), version_file.stat().st_mtime_ns)
    status_before = git_status()

    stable = publish(index, dist)
    assert stable.returncode == 0, stable.stdout + stable.stderr
    assert f"PUBLISHED: {NAME} {COMMITTED}" in stable.stdout
    assert f"mosaicstack_telemetry-{COMMITTED}.tar.gz" in index.files()
    assert f"mosaicstack_telemetry-{COMMITTED}-py3-none-any.whl" in index.files()

    dev = publish(index, dist, "--dev")
    assert dev.returncode == 0, dev.stdout + dev.stderr
    match = re.search(rf"PUBLISHED: {NAME} (\S+)", dev.stdout)
    assert match, dev.stdout
    dev_version = match.group(1)
    stamp = re.fullmatch(rf"{re.escape(COMMITTED)}\.dev(\d{{14}})", dev_version)
    assert stamp, dev_version
    stamped_at = datetime.strptime(stamp.group(1), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - stamped_at).total_seconds()) < 600  # UTC, now
    assert f"mosaicstack_telemetry-{dev_version}-py3-none-any.whl" in index.files()
    assert_sdist(index.packages / f"mosaicstack_telemetry-{COMMITTED}.tar.gz", COMMITTED)
    assert_sdist(index.packages / f"mosaicstack_telemetry-{dev_version}.tar.gz", dev_version)
    # The dev build stamped the version without touching the working tree.
    assert (version_file.read_bytes(), version_file.stat().st_mtime_ns) == version_stat
    assert git_status() == status_before

    uploaded = index.files()
    again = publish(index, dist)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"SKIPPED: {NAME} {COMMITTED} is already on {index.simple_url}" in again.stdout
    assert "nothing was uploaded" in again.stdout
    assert "Uploading" not in again.stdout
    assert index.files() == uploaded

    for run in (stable, dev, again):
        assert index.password not in run.stdout + run.stderr

    venv = tmp_path / "venv-stable"
    assert_installed_wheel(install(index, f"{NAME}=={COMMITTED}", venv), COMMITTED, venv)
    venv = tmp_path / "venv-dev"
    assert_installed_wheel(install(index, f"{NAME}=={dev_version}", venv), dev_version, venv)


def test_wrong_credentials_fail_clearly_without_leaking_the_token(
    index: PackageIndex, tmp_path: Path
) -> None:
    """A rejected upload exits non-zero, says why, uploads nothing and never prints the token."""
    wrong = "wrong-" + index.password[::-1]
    before = index.files()
    result = publish(index, tmp_path / "dist", "--stamp", "20000101000000", password=wrong)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "rejected" in result.stderr
    assert "credentials rejected" in result.stderr
    assert wrong not in output
    assert index.password not in output
    assert index.files() == before


class _JsonIndex(BaseHTTPRequestHandler):
    """A PEP 691 JSON simple index that lists one file and records what it was sent."""

    listed: str = ""
    seen: list[dict[str, str]] = []  # noqa: RUF012  (shared with the test on purpose)

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers.items())})
        body = json.dumps({"meta": {"api-version": "1.0"}, "name": NAME, "files": []})
        if self.path == f"/simple/{NAME}/":
            files = [{"filename": self.listed, "url": self.listed, "hashes": {}}]
            body = json.dumps({"meta": {"api-version": "1.0"}, "name": NAME, "files": files})
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_version_listed_by_a_json_index_is_skipped(index: PackageIndex, tmp_path: Path) -> None:
    """PUBLISH_INDEX_URL is asked, PEP 691 JSON preferred; another origin gets no credentials."""
    version = f"{COMMITTED}.dev20000101000001"
    _JsonIndex.listed, _JsonIndex.seen = f"mosaicstack_telemetry-{version}.tar.gz", []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonIndex)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        before = index.files()
        url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
        result = publish(
            index, tmp_path / "dist", "--stamp", "20000101000001", PUBLISH_INDEX_URL=url
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SKIPPED: {NAME} {version} is already on {url}" in result.stdout
    assert index.files() == before
    assert [s["path"] for s in _JsonIndex.seen] == [f"/simple/{NAME}/"]
    assert _JsonIndex.seen[0]["Accept"] == "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    assert "Authorization" not in _JsonIndex.seen[0]


def test_missing_configuration_and_unreachable_index_fail_clearly(
    index: PackageIndex, tmp_path: Path
) -> None:
    """Each failure names its cause and exits non-zero."""
    missing = publish(index, tmp_path / "dist", TWINE_REPOSITORY_URL="", TWINE_PASSWORD="")
    assert missing.returncode == 2
    assert "missing TWINE_REPOSITORY_URL, TWINE_PASSWORD" in missing.stderr
    assert not (tmp_path / "dist").exists()  # failed before building anything

    closed = f"http://127.0.0.1:{free_port()}/simple/"
    result = publish(index, tmp_path / "dist", PUBLISH_INDEX_URL=closed)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"cannot reach index {closed}" in result.stderr
    assert index.password not in result.stdout + result.stderr

    bad_stamp = subprocess.run(
        [sys.executable, str(SCRIPT), "build", "--stamp", "2026-11-22"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad_stamp.returncode == 2
    assert "dev stamp must be YYYYMMDDHHMMSS (UTC)" in bad_stamp.stderr
