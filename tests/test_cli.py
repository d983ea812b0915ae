"""The `mosaic-telemetry` command line: serve (real subprocess, real HTTP) and validate."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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
    assert "1 API key(s) already registered" in banner
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


def test_serve_port_in_use_fails_cleanly(tmp_path: Path, serve_processes: list[Served]) -> None:
    served = Served(["--db", str(tmp_path / "a.db")])
    serve_processes.append(served)
    port = served.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [*CLI, "serve", "--port", port, "--db", str(tmp_path / "b.db")],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 1
    assert "mosaic-telemetry serve:" in result.stderr


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
