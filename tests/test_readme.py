"""The README's Quick start, done exactly as written, from an empty folder.

The snippets are read from README.md by their `<!-- readme-test: NAME -->` markers, so this test
breaks when the README does. The only changes, by exact string replacement that fails if the
text is gone: the registry URL becomes a package index on 127.0.0.1 that serves a wheel built
from this tree (its dependencies still come from PyPI, as the README says), and port 8000 becomes
a free port. The two terminals are two bash processes; the second gets the `export` lines the
server printed, as a user pastes them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import mosaicstack_telemetry
from tests.package_index import PackageIndex, free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REGISTRY = "https://git.mosaicstack.dev/api/packages/mosaic/pypi/simple/"


def readme_snippet(name: str) -> str:
    """The fenced block right after `<!-- readme-test: NAME -->`."""
    text = README.read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- readme-test: {re.escape(name)} -->\n```[a-z]*\n(.*?)```", text, re.DOTALL
    )
    assert match, f"README.md has no snippet marked {name!r}"
    return match.group(1)


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"expected {old!r} in the README snippet:\n{text}"
    return text.replace(old, new)


def user_env() -> dict[str, str]:
    """A shell as a user has it: no project virtualenv, no telemetry settings, no source path."""
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MOSAIC_TELEMETRY_")
        and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DO_NOT_TRACK")
    }
    env["PATH"] = os.pathsep.join(path)
    return env


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    """A package index on 127.0.0.1 serving a wheel of this tree, standing in for the registry."""
    wheels = tmp_path_factory.mktemp("wheels")
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(ROOT)]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    with PackageIndex(tmp_path_factory.mktemp("index"), (wheels,)) as server:
        yield server


@pytest.mark.slow
def test_following_the_readme_from_an_empty_folder_gets_an_event_counted(
    index: PackageIndex, tmp_path: Path
) -> None:
    folder = tmp_path / "my-app"
    folder.mkdir()
    env = user_env()
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # predict's per-user cache, kept in the test
    port = free_port()

    # Terminal 1: install, then start the server (it keeps running).
    install = replaced(readme_snippet("install"), REGISTRY, index.simple_url)
    serve = replaced(readme_snippet("serve"), "--port 8000", f"--port {port}")
    terminal1 = subprocess.Popen(
        ["bash", "-euc", f"{install}\nexec {serve}"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert terminal1.stdout is not None
        printed: list[str] = []
        exports: list[str] = []
        deadline = time.monotonic() + 600
        for line in terminal1.stdout:
            printed.append(line)
            if line.startswith("  export MOSAIC_TELEMETRY_"):
                exports.append(line.strip())
            if len(exports) == 3 or time.monotonic() > deadline:
                break
        assert len(exports) == 3, "".join(printed) + (terminal1.stderr.read() if exports else "")
        assert f"export MOSAIC_TELEMETRY_SERVER_URL=http://127.0.0.1:{port}" in exports

        # Terminal 2: activate, paste the exports, save the script, run the commands.
        (folder / "first_event.py").write_text(readme_snippet("first_event.py"))
        script = "\n".join([readme_snippet("activate"), *exports, readme_snippet("run")])
        terminal2 = subprocess.run(
            ["bash", "-euc", script],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert terminal2.returncode == 0, terminal2.stdout + terminal2.stderr
        lines = terminal2.stdout.splitlines()
        assert lines[0] == "delivered: 1, rejected: 0"
        # The server counted it: its prediction is made of that one event.
        assert "  sample size           1 event" in lines
    finally:
        os.killpg(terminal1.pid, signal.SIGINT)  # Ctrl-C in terminal 1
        try:
            out, err = terminal1.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(terminal1.pid, signal.SIGKILL)
            out, err = terminal1.communicate()
        server_log = out + err
    assert '"POST /v1/events/batch HTTP/1.1" 202' in server_log
    assert terminal1.returncode == 0, server_log

    # What ran was the wheel from the index, installed in the folder's own environment.
    probe = "import mosaicstack_telemetry as m; print(m.__version__, m.__file__)"
    python = folder / ".venv" / "bin" / "python"
    version, location = subprocess.run(
        [str(python), "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert version == mosaicstack_telemetry.__version__
    assert Path(location).is_relative_to(folder / ".venv")
