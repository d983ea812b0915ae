"""A real npm registry on 127.0.0.1: verdaccio with htpasswd auth, for the npm publish test.

Verdaccio comes from the npm registry, pinned by tests/verdaccio/package-lock.json, and is
installed once into a cache directory named after that lock file (under $XDG_CACHE_HOME or
~/.cache), so later runs, from any clone on the machine, start it in seconds. It proxies nothing:
every package it serves was published to it by the test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.package_index import free_port

SPEC_DIR = Path(__file__).resolve().parent / "verdaccio"
INSTALL_TIMEOUT = 600

CONFIG = """\
storage: {storage}
auth:
  htpasswd:
    file: {htpasswd}
    max_users: -1  # no sign-ups: only the user written below exists
uplinks: {{}}
packages:
  '**':
    access: $authenticated
    publish: {publisher}
    unpublish: {publisher}
web:
  enable: false
log: {{ type: stdout, format: pretty, level: warn }}
"""


def _htpasswd_line(username: str, password: str) -> str:
    """An htpasswd entry in the {SHA} format verdaccio verifies; only a hash is written."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{username}:{{SHA}}{digest}:autocreated\n"


def verdaccio_entry() -> Path:
    """verdaccio's start script, installed into the cache on first use."""
    spec = b"".join((SPEC_DIR / n).read_bytes() for n in ("package.json", "package-lock.json"))
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(spec).hexdigest()[:16]
    cache = cache_root / "mosaicstack-telemetry" / f"verdaccio-{key}"
    entry = cache / "node_modules" / "verdaccio" / "bin" / "verdaccio"
    if entry.is_file():
        return entry
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Installed beside the cache and renamed into place: a run that is stopped half-way, or two
    # runs at once, never leave a half-installed cache behind.
    staging = Path(tempfile.mkdtemp(prefix=".verdaccio-", dir=cache.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(SPEC_DIR / name, staging / name)
        cmd = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        subprocess.run(cmd, cwd=staging, check=True, timeout=INSTALL_TIMEOUT)
        try:
            staging.rename(cache)
        except OSError:
            if not entry.is_file():  # not another run's finished install: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry


class NpmRegistry:
    """verdaccio on a free 127.0.0.1 port; `token` may read and publish, `reader_token` read."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.username = "ci-bot"
        self.password = secrets.token_hex(20)
        self.token = ""
        self.reader = "reader"
        self.reader_password = secrets.token_hex(20)
        self.reader_token = ""
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log(self) -> Path:
        return self.workdir / "verdaccio.log"

    def __enter__(self) -> NpmRegistry:
        entry = verdaccio_entry()
        htpasswd = self.workdir / "htpasswd"
        users = ((self.username, self.password), (self.reader, self.reader_password))
        htpasswd.write_text("".join(_htpasswd_line(name, password) for name, password in users))
        config = self.workdir / "config.yaml"
        config.write_text(
            CONFIG.format(
                storage=self.workdir / "storage", htpasswd=htpasswd, publisher=self.username
            )
        )
        for _ in range(3):  # the free port may be taken before the server binds it
            self.port = free_port()
            with self.log.open("ab") as log:
                cmd = ["node", str(entry), "--config", str(config)]
                cmd += ["--listen", f"127.0.0.1:{self.port}"]
                self._proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=self.workdir)
            if self._wait_ready():
                self.token = self._login(self.username, self.password)
                self.reader_token = self._login(self.reader, self.reader_password)
                return self
            self._stop()
        raise RuntimeError(f"verdaccio did not start: {self.log.read_text()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "-/ping", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                time.sleep(0.2)
        return False

    def _login(self, username: str, password: str) -> str:
        """`npm login`'s request: a user's password for a registry token."""
        body = json.dumps({"name": username, "password": password}).encode()
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}-/user/org.couchdb.user:{username}",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json", "Authorization": f"Basic {basic}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.loads(response.read())["token"]
        assert isinstance(token, str)
        assert token
        return token

    def packument(self, name: str) -> dict[str, Any] | None:
        """The registry's document for a package (versions, dist-tags), or None if unknown."""
        request = urllib.request.Request(
            self.url + name.replace("/", "%2f"),
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                document: dict[str, Any] = json.loads(response.read())
                return document
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def _stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
