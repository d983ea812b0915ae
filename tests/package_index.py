"""A real package index on 127.0.0.1: pypiserver, uploads guarded by an htpasswd file."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PackageIndex:
    """pypiserver serving `packages/` (uploads land there) plus read-only extra directories."""

    def __init__(self, workdir: Path, extra_dirs: tuple[Path, ...] = ()) -> None:
        self.workdir = workdir
        self.packages = workdir / "packages"
        self.extra_dirs = extra_dirs
        self.username = "ci-bot"
        self.password = secrets.token_hex(20)
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    def files(self) -> dict[str, tuple[int, int]]:
        """Uploaded files: name -> (size, mtime_ns), to tell whether anything was uploaded."""
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in self.packages.iterdir()}

    def __enter__(self) -> PackageIndex:
        self.packages.mkdir(parents=True, exist_ok=True)
        # {SHA} entries are an htpasswd format passlib verifies; only a hash is written.
        digest = base64.b64encode(hashlib.sha1(self.password.encode()).digest()).decode()
        htpasswd = self.workdir / "htpasswd"
        htpasswd.write_text(f"{self.username}:{{SHA}}{digest}\n")
        for _ in range(3):  # the free port may be taken before the server binds it
            self.port = free_port()
            log = (self.workdir / "pypiserver.log").open("ab")
            cmd = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p"]
            cmd += [str(self.port), "-P", str(htpasswd), "-a", "update", "--disable-fallback"]
            cmd += [str(self.packages), *map(str, self.extra_dirs)]
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=log)
            log.close()
            if self._wait_ready():
                return self
            self._stop()
        raise RuntimeError(
            f"pypiserver did not start: {(self.workdir / 'pypiserver.log').read_text()}"
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.simple_url, timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                time.sleep(0.1)
        return False

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
