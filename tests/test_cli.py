"""The `mosaic-telemetry` command line: serve (real subprocess, real HTTP) and validate."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import mosaicstack_telemetry
from mosaicstack_telemetry._cli import main
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload

CLI = [sys.executable, "-m", "mosaicstack_telemetry._cli"]


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["serve"], ["validate"]], ids=["top", "serve", "validate"])
def test_every_command_has_help_with_examples(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "mosaic-telemetry" in out


HELP_PAGES = [
    [],
    ["demo"],
    ["serve"],
    ["keys"],
    ["keys", "create"],
    ["keys", "list"],
    ["validate"],
    ["send"],
    ["predict"],
    ["doctor"],
    ["spool"],
]


@pytest.mark.parametrize("argv", HELP_PAGES, ids=lambda argv: " ".join(argv) or "top")
def test_help_speaks_to_installed_users(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # An installed CLI has no Makefile and no repository next to it.
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "make " not in out
    assert "repository" not in out
    assert "(s)" not in out


def test_python_dash_m_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mosaicstack_telemetry", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mosaic-telemetry {mosaicstack_telemetry.__version__}"
    listed = subprocess.run(
        [sys.executable, "-m", "mosaicstack_telemetry", "keys", "list", "--db", "/nonexistent.db"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert listed.returncode == 1
    assert "no database at /nonexistent.db" in listed.stderr


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "mosaic-telemetry"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("mosaic-telemetry ")


def test_core_import_does_not_load_the_server_or_cli() -> None:
    code = (
        "import sys, mosaicstack_telemetry; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn') or m.startswith('mosaicstack_telemetry.server')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- validate -------------------------------------------------------------------------------


def _write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    return path


def test_validate_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    minimal = event_payload()
    del minimal["event_id"], minimal["timestamp"], minimal["quality_gates_run"]
    path = _write_jsonl(tmp_path / "ok.jsonl", [event_payload(), "", minimal])
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: 2 valid, 0 invalid of 2 events"


def test_validate_mixed_file_names_lines_and_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_model = event_payload()
    del no_model["model"]
    path = _write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            event_payload(),
            event_payload(task_type="painting", retry_count="3"),
            "{not json",
            no_model,
            event_payload(quality_gates_run=["build", "vibes"]),
            event_payload(),
            [1, 2],
        ],
    )
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [
        f"{path}:2: task_type: Input should be 'planning', 'implementation', 'code_review', "
        "'testing', 'debugging', 'refactoring', 'documentation', 'configuration', "
        "'security_audit' or 'unknown' (got 'painting')",
        f"{path}:2: retry_count: Input should be a valid integer (got '3')",
        f"{path}:3: (line): invalid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        f"{path}:4: model: Field required",
        f"{path}:5: quality_gates_run[1]: Input should be 'build', 'lint', 'test', 'coverage', "
        "'typecheck' or 'security' (got 'vibes')",
        f"{path}:7: (line): Input should be an object",
    ]
    assert out[-1] == f"{path}: 2 valid, 5 invalid of 7 events"


def test_validate_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    result = subprocess.run(
        [*CLI, "validate", "-"],
        input=json.dumps(event_payload(outcome="maybe")) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("<stdin>:1: outcome: ")


def test_validate_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


# --- serve ----------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """The environment without serve's own variables, so a developer's shell cannot leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_TELEMETRY_SERVE_")}


class Served:
    """A `mosaic-telemetry serve` subprocess, its banner, URL and credentials."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**_clean_env(), **(env or {})},
        )
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        # The banner ends after the export lines, or after the one line about existing keys.
        for line in self.proc.stdout:
            self.banner.append(line.rstrip("\n"))
            text = "\n".join(self.banner)
            if "already registered" in text or "MOSAIC_TELEMETRY_INSTANCE_ID=" in text:
                break
        match = re.search(r"on (http://\S+) ", self.banner[0]) if self.banner else None
        assert match, self.banner
        self.url = match.group(1)

    def env(self, name: str) -> str | None:
        for line in self.banner:
            m = re.fullmatch(rf"\s*export {name}=(\S+)", line)
            if m:
                return m.group(1)
        return None

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out + err


@pytest.fixture
def serve_processes() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait()


def _post(url: str, path: str, body: Any, key: str) -> httpx.Response:
    return httpx.post(
        url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10.0
    )


def test_serve_creates_a_key_once_answers_and_persists(
    tmp_path: Path, serve_processes: list[Served]
) -> None:
    db = tmp_path / "serve.db"
    first = Served(["--db", str(db)])
    serve_processes.append(first)
    key = first.env("MOSAIC_TELEMETRY_API_KEY")
    instance = first.env("MOSAIC_TELEMETRY_INSTANCE_ID")
    assert first.env("MOSAIC_TELEMETRY_SERVER_URL") == first.url
    assert key is not None
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert instance is not None
    events = [event_payload(instance_id=instance) for _ in range(3)]
    accepted = _post(first.url, "/v1/events/batch", {"events": events}, key)
    assert accepted.status_code == 202
    assert accepted.json()["accepted"] == 3
    status, err = first.stop()
    assert status == 0
    assert "POST /v1/events/batch" in err  # access log on (stdout)
    assert key not in err

    second = Served(["--db", str(db)])
    serve_processes.append(second)
    banner = "\n".join(second.banner)
    assert "1 API key is already registered" in banner
    assert f"For a new one: mosaic-telemetry keys create --db {db}" in banner
    assert key not in banner
    again = _post(second.url, "/v1/events/batch", {"events": events}, key).json()
    assert (again["accepted"], again["rejected"]) == (0, 3)
    (result,) = _post(
        second.url, "/v1/predictions/batch", {"queries": [query_payload()]}, key
    ).json()["results"]
    assert result["metadata"]["sample_size"] == 3
    status, err = second.stop(signal.SIGTERM)
    assert status == 0
    assert key not in err
    assert "Traceback" not in err


def test_serve_with_a_given_key_from_the_environment(
    tmp_path: Path, serve_processes: list[Served]
) -> None:
    served = Served(
        ["--db", str(tmp_path / "given.db"), "--rate-limit", "1"],
        env={
            "MOSAIC_TELEMETRY_SERVE_API_KEY": API_KEY,
            "MOSAIC_TELEMETRY_SERVE_INSTANCE_ID": INSTANCE_ID,
        },
    )
    serve_processes.append(served)
    assert API_KEY not in "\n".join(served.banner)
    assert served.env("MOSAIC_TELEMETRY_INSTANCE_ID") == INSTANCE_ID
    query = {"queries": [query_payload()]}
    assert _post(served.url, "/v1/predictions/batch", query, API_KEY).status_code == 200
    limited = _post(served.url, "/v1/predictions/batch", query, API_KEY)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert served.stop()[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-key", API_KEY], "--api-key and --instance-id go together"),
        (["--api-key", "xyz", "--instance-id", INSTANCE_ID], "64 hexadecimal characters"),
        (["--api-key", API_KEY, "--instance-id", "nope"], "is not a UUID"),
        (["--rate-limit", "0"], "--rate-limit must be at least 1"),
    ],
)
def test_serve_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", "0", "--db", str(tmp_path / "x.db"), *args],
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "xyz" not in result.stderr


def test_serve_port_in_use_fails_cleanly_and_leaves_no_database(
    tmp_path: Path, serve_processes: list[Served]
) -> None:
    served = Served(["--db", str(tmp_path / "a.db")])
    serve_processes.append(served)
    port = served.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [*CLI, "serve", "--port", port, "--db", str(tmp_path / "b.db")],
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"mosaic-telemetry serve: cannot listen on 127.0.0.1:{port}:" in result.stderr
    assert "Traceback" not in result.stderr
    # Binding comes first: no database, so no key created that nobody was shown.
    assert not (tmp_path / "b.db").exists()
    assert "MOSAIC_TELEMETRY_API_KEY" not in result.stdout


def test_serve_on_a_busy_port_never_locks_the_user_out(
    tmp_path: Path, serve_processes: list[Served]
) -> None:
    # Before: the failed start created the database and a key nobody saw, and the next start
    # refused to show it. Now the next start on a free port creates and shows the key.
    blocker = Served(["--db", str(tmp_path / "other.db")])
    serve_processes.append(blocker)
    db = tmp_path / "mine.db"
    port = blocker.url.rsplit(":", 1)[1]
    failed = subprocess.run(
        [*CLI, "serve", "--port", port, "--db", str(db)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert failed.returncode == 1
    mine = Served(["--db", str(db)])
    serve_processes.append(mine)
    key = mine.env("MOSAIC_TELEMETRY_API_KEY")
    assert key is not None
    instance = mine.env("MOSAIC_TELEMETRY_INSTANCE_ID")
    body = {"events": [event_payload(instance_id=instance)]}
    assert _post(mine.url, "/v1/events/batch", body, key).status_code == 202


def _serve_once(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "serve", *args],
        env=_clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("99999", "99999 is not a port: use 0 to 65535"),
        ("65536", "65536 is not a port"),
        ("-1", "-1 is not a port"),
        ("http", "not a port number: 'http'"),
    ],
)
def test_serve_invalid_port_is_a_usage_error_and_creates_nothing(
    tmp_path: Path, port: str, message: str
) -> None:
    result = _serve_once(tmp_path, "--port", port, "--db", "t.db")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("no/dir/t.db", "cannot create no/dir/t.db: the folder no/dir does not exist"),
        (".", ". is a folder, not a database file"),
        ("notes.txt", "cannot open the database notes.txt: file is not a database"),
    ],
)
def test_serve_unusable_database_path_is_a_clean_error(
    tmp_path: Path, db: str, message: str
) -> None:
    (tmp_path / "notes.txt").write_text("not sqlite, and longer than a database header " * 4)
    before = (tmp_path / "notes.txt").read_bytes()
    result = _serve_once(tmp_path, "--port", "0", "--db", db)
    assert result.returncode == 1
    assert result.stderr.strip() == f"mosaic-telemetry serve: {message}"
    assert (tmp_path / "notes.txt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# --- keys -----------------------------------------------------------------------------------


def _keys(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "keys", *args], capture_output=True, text=True, timeout=30, cwd=cwd, check=False
    )


def test_keys_create_issues_a_key_a_running_server_accepts_and_list_never_shows_keys(
    tmp_path: Path, serve_processes: list[Served]
) -> None:
    db = tmp_path / "serve.db"
    served = Served(["--db", str(db)])
    serve_processes.append(served)
    first_key = served.env("MOSAIC_TELEMETRY_API_KEY")
    first_instance = served.env("MOSAIC_TELEMETRY_INSTANCE_ID")
    assert first_key is not None
    assert first_instance is not None

    created = _keys("create", "--db", str(db))
    assert created.returncode == 0, created.stderr
    assert "it is shown only this once" in created.stdout
    key = re.search(r"export MOSAIC_TELEMETRY_API_KEY=([0-9a-f]{64})\n", created.stdout)
    instance = re.search(r"export MOSAIC_TELEMETRY_INSTANCE_ID=(\S+)\n", created.stdout)
    assert key is not None
    assert instance is not None
    assert instance.group(1) != first_instance
    # The running server takes the new key at once, for its instance.
    body = {"events": [event_payload(instance_id=instance.group(1))]}
    reply = _post(served.url, "/v1/events/batch", body, key.group(1))
    assert reply.status_code == 202
    assert reply.json()["accepted"] == 1

    again = _keys("create", "--db", str(db), "--instance-id", first_instance)
    assert again.returncode == 0, again.stderr
    assert f"for instance {first_instance}" in again.stdout

    listed = _keys("list", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"3 API keys in {db.resolve()}"
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == [first_instance, instance.group(1), first_instance]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", row[1]) for row in rows)
    for secret in (first_key, key.group(1)):
        assert secret not in listed.stdout
        assert hashlib.sha256(secret.encode()).hexdigest() not in listed.stdout


def test_keys_on_a_missing_database_create_nothing(tmp_path: Path) -> None:
    for action in ("create", "list"):
        result = _keys(action, "--db", "typo.db", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("mosaic-telemetry keys: no database at typo.db")
    assert list(tmp_path.iterdir()) == []


def test_keys_create_rejects_a_malformed_instance_id(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    assert _keys("list", "--db", str(db)).returncode == 1
    sqlite3.connect(db).close()  # an empty database: the schema is added on open
    result = _keys("create", "--db", str(db), "--instance-id", "nope")
    assert result.returncode == 1
    assert "instance id 'nope' is not a UUID" in result.stderr
    assert _keys("list", "--db", str(db)).stdout.startswith("0 API keys in")


def test_serve_without_the_server_extra_names_the_extra() -> None:
    # Block the extra's modules the way a core-only install lacks them.
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
        "from mosaicstack_telemetry._cli import main; sys.exit(main(['serve']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 1
    assert "pip install 'mosaicstack-telemetry[server]'" in result.stderr
