"""The CLI commands that go through the SDK (send, predict, doctor, demo), against real servers.

Every test talks HTTP to a real server on 127.0.0.1: the local server (`local_server`), the
scriptable `fault_server` where a reply must be made up, or a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from mosaicstack_telemetry._cli import main
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.fault_server import FaultServer, Reply
from tests.local_server import LocalServer

CLI = [sys.executable, "-m", "mosaicstack_telemetry._cli"]
WRONG_KEY = "b" * 64
BAD_KEY = "s3cret-not-a-key"


@pytest.fixture(autouse=True)
def _no_telemetry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MOSAIC_TELEMETRY_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("MOSAIC_TELEMETRY_"):
            monkeypatch.delenv(name)


def _use(monkeypatch: pytest.MonkeyPatch, url: str, key: str = API_KEY) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", key)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", INSTANCE_ID)


@pytest.fixture
def env_server(local_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """The local server, named by the MOSAIC_TELEMETRY_* variables as a user would."""
    _use(monkeypatch, local_server.url)
    return local_server


@pytest.fixture
def dead_url() -> str:
    """A 127.0.0.1 URL where nothing listens (the port was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    return path


def _stored_ids(server: LocalServer) -> set[str]:
    with sqlite3.connect(server.db_path) as db:
        return {row[0] for row in db.execute("SELECT event_id FROM events")}


def _summary(out: str) -> dict[str, str]:
    """The `summary:` block of `send` as {label: value} (rows are `  {label:<14}{value}`)."""
    block = out.split("summary:\n", 1)[1]
    return {line[2:16].strip(): line[16:] for line in block.splitlines()}


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["send", "predict", "doctor", "demo"])
def test_help_has_examples_and_exit_statuses(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert f"mosaic-telemetry {command}" in out
    assert "exit status" in out


def test_top_level_help_lists_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("send", "predict", "doctor", "demo"):
        assert f"mosaic-telemetry {command}" in out


# --- send -----------------------------------------------------------------------------------


def test_send_mixed_file_stores_every_valid_event_and_names_invalid_lines(
    env_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = [event_payload() for _ in range(150)]  # more than one batch of 100
    no_model = event_payload()
    del no_model["model"]
    lines: list[Any] = list(valid)
    # 1-based line numbers after insertion: 2, 5, 60 (the blank line 59 counts), 103, 156
    lines.insert(1, event_payload(task_type="painting"))
    lines.insert(4, "{not json")
    lines.insert(58, "")
    lines.insert(59, no_model)
    lines.insert(102, event_payload(instance_id=str(uuid.uuid4())))
    lines.append(event_payload(retry_count="3"))
    path = _write_jsonl(tmp_path / "mixed.jsonl", lines)

    assert main(["send", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:2: task_type: Input should be 'planning'" in out
    assert f"{path}:5: (line): invalid JSON" in out
    assert f"{path}:60: model: Field required" in out
    assert f"{path}:103: instance_id: " in out
    assert "is not the configured instance" in out
    assert f"{path}:156: retry_count: Input should be a valid integer" in out
    summary = _summary(out)
    assert summary["invalid"] == "5 (lines 2, 5, 60, 103, 156; not sent)"
    assert summary["read"] == f"155 non-blank lines from {path}"
    assert summary["delivered"] == (
        f"150 of 150 to {env_server.url}: 150 stored, 0 already stored (not an error)"
    )
    assert summary["rejected"] == "0"
    assert summary["not delivered"] == "0"
    # Nothing valid was lost: exactly the valid events are on the server.
    assert _stored_ids(env_server) == {event["event_id"] for event in valid}
    (result,) = env_server.predict(query_payload())
    assert result["metadata"]["sample_size"] == 150


def test_send_and_validate_speak_in_the_singular_for_one(
    env_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_jsonl(tmp_path / "one.jsonl", ["{not json"])
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().out.endswith(f"{path}: 0 valid, 1 invalid of 1 event\n")
    assert main(["send", str(path)]) == 1
    summary = _summary(capsys.readouterr().out)
    assert summary["read"] == f"1 non-blank line from {path}"
    assert summary["invalid"] == "1 (line 1; not sent)"
    assert summary["delivered"] == f"0 of 0 to {env_server.url}"


def test_send_draws_a_progress_bar_only_on_a_terminal(
    env_server: LocalServer, tmp_path: Path
) -> None:
    path = _write_jsonl(tmp_path / "many.jsonl", [event_payload() for _ in range(250)])
    env = {
        **os.environ,
        "MOSAIC_TELEMETRY_SERVER_URL": env_server.url,
        "MOSAIC_TELEMETRY_API_KEY": API_KEY,
        "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
    }
    # stderr a real terminal (a pseudo-terminal pair), stdout a pipe.
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [*CLI, "send", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
    drawn = b""
    try:
        with contextlib.suppress(OSError):  # EIO once everything written has been read
            while chunk := os.read(controller, 65536):
                drawn += chunk
    finally:
        os.close(controller)
    assert result.returncode == 0
    assert b"sending [" in drawn
    assert b"250/250" in drawn
    assert "sending [" not in result.stdout

    piped = subprocess.run(
        [*CLI, "send", str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert piped.returncode == 0  # all duplicates now
    assert "sending [" not in piped.stdout + piped.stderr


def test_send_clean_file_exits_0_and_a_resend_counts_duplicates(
    env_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minimal = event_payload()
    del minimal["event_id"], minimal["timestamp"]  # the SDK fills them in
    path = _write_jsonl(tmp_path / "clean.jsonl", [event_payload(), minimal, event_payload()])
    assert main(["send", str(path)]) == 0
    summary = _summary(capsys.readouterr().out)
    assert summary["invalid"] == "0"
    assert summary["delivered"].endswith(": 3 stored, 0 already stored (not an error)")
    assert env_server.stats().events == 3

    # event_ids in the file are stable, so a resend is all duplicates (the generated one is new).
    assert main(["send", str(path)]) == 0
    summary = _summary(capsys.readouterr().out)
    assert summary["delivered"].endswith(": 1 stored, 2 already stored (not an error)")
    assert env_server.stats().events == 4


def test_send_flags_override_the_environment(
    local_server: LocalServer,
    dead_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _use(monkeypatch, dead_url, key=WRONG_KEY)
    path = _write_jsonl(tmp_path / "one.jsonl", [event_payload()])
    argv = ["send", str(path), "--server-url", local_server.url, "--api-key", API_KEY]
    assert main(argv) == 0
    assert local_server.stats().events == 1
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err


def test_send_missing_config_exits_2_with_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_jsonl(tmp_path / "one.jsonl", [event_payload()])
    assert main(["send", str(path)]) == 2
    err = capsys.readouterr().err
    assert "server_url is required" in err
    assert "api_key must be a 64-character hex string (got 0 characters" in err
    assert "instance_id must be a valid UUID" in err


def test_send_bad_key_exits_2_without_printing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_jsonl(tmp_path / "one.jsonl", [event_payload()])
    env = {
        **os.environ,
        "MOSAIC_TELEMETRY_SERVER_URL": "http://127.0.0.1:9",
        "MOSAIC_TELEMETRY_API_KEY": BAD_KEY,
        "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
    }
    result = subprocess.run(
        [*CLI, "send", str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert f"got {len(BAD_KEY)} characters" in result.stderr
    assert BAD_KEY not in result.stdout + result.stderr


def test_send_unreadable_file_exits_2(
    env_server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_send_with_a_key_the_server_refuses_exits_1_and_stores_nothing(
    local_server: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _use(monkeypatch, local_server.url, key=WRONG_KEY)
    path = _write_jsonl(tmp_path / "two.jsonl", [event_payload(), event_payload()])
    assert main(["send", str(path)]) == 1
    captured = capsys.readouterr()
    summary = _summary(captured.out)
    assert summary["delivered"] == f"0 of 2 to {local_server.url}"
    assert summary["not delivered"].startswith(
        "2 (the server refused the API key or instance id (HTTP 403"
    )
    assert "mosaic-telemetry send: not delivered: the server refused the API key" in captured.err
    assert WRONG_KEY not in captured.out + captured.err
    assert local_server.stats().events == 0


def test_send_to_a_server_that_is_down_reports_undelivered_events(
    dead_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _use(monkeypatch, dead_url)
    path = _write_jsonl(tmp_path / "three.jsonl", [event_payload() for _ in range(3)])
    assert main(["send", str(path), "--max-retries", "0"]) == 1
    captured = capsys.readouterr()
    summary = _summary(captured.out)
    # Nothing reached the server: no "sent", no talk of a next cycle a one-shot command lacks.
    assert summary["delivered"] == f"0 of 3 to {dead_url}"
    assert summary["not delivered"].startswith(
        "3 (the server could not be reached or kept failing (connection error"
    )
    assert "gave up after 0 retries" in summary["not delivered"]
    assert "next cycle" not in captured.out + captured.err
    assert "sent 3" not in captured.out
    assert captured.err.startswith("mosaic-telemetry send: not delivered: the server could not")


def test_send_names_the_line_of_an_event_the_server_rejects(
    fault_server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = [event_payload() for _ in range(3)]
    results = [
        {"event_id": events[0]["event_id"], "status": "accepted", "error": None},
        {"event_id": events[1]["event_id"], "status": "rejected", "error": "event is too old"},
        {"event_id": events[2]["event_id"], "status": "accepted", "error": None},
    ]
    fault_server.script(Reply(202, {"accepted": 2, "rejected": 1, "results": results}))
    _use(monkeypatch, fault_server.url)
    path = _write_jsonl(tmp_path / "three.jsonl", events)
    assert main(["send", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:2: rejected by the server: event is too old" in out
    summary = _summary(out)
    assert summary["delivered"].startswith("2 of 3 to ")
    assert summary["delivered"].endswith(": 2 stored, 0 already stored (not an error)")
    assert summary["rejected"] == "1 (reasons above)"
    assert summary["not delivered"] == "0"
    (post,) = fault_server.event_posts()
    assert len(post.json()["events"]) == 3


# --- predict --------------------------------------------------------------------------------

_PREDICT = [
    "predict",
    "--task-type",
    "implementation",
    "--model",
    "claude-sonnet-4-5-20250929",
    "--provider",
    "anthropic",
    "--complexity",
    "medium",
]


def test_predict_prints_the_numbers_the_server_computed(
    env_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    env_server.submit(
        [
            event_payload(
                actual_input_tokens=1000 * i,
                actual_output_tokens=300 * i,
                actual_cost_usd_micros=12345 * i,
                task_duration_ms=1500 * i,
                outcome="success" if i % 4 else "failure",
                quality_gate_passed=i % 3 != 0,
            )
            for i in range(1, 13)
        ]
    )
    (expected,) = env_server.predict(query_payload())
    assert main(_PREDICT) == 0
    out = capsys.readouterr().out
    data, meta = expected["prediction"], expected["metadata"]
    for row in ("input_tokens", "output_tokens"):
        dist = data[row]
        values = "".join(f"{dist[k]:>12,}" for k in ("p10", "p25", "median", "p75", "p90"))
        assert f"{row.replace('_', ' '):<22}{values}" in out
    cost = data["cost_usd_micros"]["median"]
    assert f"${cost / 1e6:,.4f} ({cost:,} microdollars)" in out
    duration = data["duration_ms"]["median"]
    assert f"{duration / 1000:,.1f} s ({duration:,} ms)" in out
    factors = data["correction_factors"]
    assert f"input {factors['input']:.4f}  output {factors['output']:.4f}" in out
    assert f"gate pass rate        {data['quality']['gate_pass_rate'] * 100:.1f}%" in out
    assert f"success rate          {data['quality']['success_rate'] * 100:.1f}%" in out
    assert f"sample size           {meta['sample_size']} events" in out
    assert f"confidence            {meta['confidence']}" in out
    assert "fallback level        0 (exact match)" in out
    assert "model=claude-sonnet-4-5-20250929" in out
    assert meta["sample_size"] == 12


def test_predict_json_is_the_servers_answer(
    env_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    env_server.submit([event_payload() for _ in range(3)])
    assert main([*_PREDICT, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    (expected,) = env_server.predict(query_payload())
    assert shown["prediction"] == expected["prediction"]
    assert shown["metadata"]["sample_size"] == 3


def test_predict_fallback_and_no_data_are_answers(
    env_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    env_server.submit([event_payload(model="gpt-4o", provider="openai") for _ in range(10)])
    assert main(_PREDICT) == 0
    out = capsys.readouterr().out
    assert "fallback level        2 (2 dimensions dropped)" in out
    assert "model=(dropped)" in out
    assert "confidence            low" in out

    argv = [*_PREDICT]
    argv[argv.index("implementation")] = "security_audit"
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "No prediction: the server has no data" in out
    assert "confidence            none" in out
    assert "fallback level        -1 (no data)" in out


def test_predict_server_down_says_so_and_exits_1(
    dead_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, dead_url)
    assert main(_PREDICT) == 1
    captured = capsys.readouterr()
    assert f"could not get a prediction from {dead_url}" in captured.err
    assert "Connection refused" in captured.err
    assert "Prediction for" not in captured.out


def test_predict_wrong_key_says_the_server_refused(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, local_server.url, key=WRONG_KEY)
    assert main(_PREDICT) == 1
    captured = capsys.readouterr()
    assert "HTTP 403" in captured.err
    assert WRONG_KEY not in captured.out + captured.err


def test_predict_rejects_unknown_enum_values(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*_PREDICT]
    argv[argv.index("anthropic")] = "acme"
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "invalid choice: 'acme'" in capsys.readouterr().err


def test_predict_missing_config_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_PREDICT) == 2
    assert "server_url is required" in capsys.readouterr().err


# --- doctor ---------------------------------------------------------------------------------


def test_doctor_all_good_exits_0(
    env_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"server_url   {env_server.url}  [$MOSAIC_TELEMETRY_SERVER_URL]" in out
    assert "api_key      <redacted, 64 characters>  [$MOSAIC_TELEMETRY_API_KEY]" in out
    assert f"instance_id  {INSTANCE_ID}" in out
    assert "the server accepts the API key" in out
    assert out.rstrip().endswith("all good")
    assert API_KEY not in out
    assert env_server.stats().events == 0  # the check stores nothing


def test_doctor_wrong_key_exits_1_and_says_it_was_rejected(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **os.environ,
        "MOSAIC_TELEMETRY_SERVER_URL": local_server.url,
        "MOSAIC_TELEMETRY_API_KEY": WRONG_KEY,
        "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
    }
    result = subprocess.run([*CLI, "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "problem: the server rejected the API key (HTTP 403" in result.stdout
    assert result.stdout.rstrip().endswith("\n1 problem found")
    assert WRONG_KEY not in result.stdout + result.stderr


def test_doctor_server_down_exits_1(
    dead_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use(monkeypatch, dead_url)
    assert main(["doctor", "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert "problem: the server does not answer: cannot connect to 127.0.0.1:" in out
    assert "the server accepts" not in out


def test_doctor_without_config_lists_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "server_url   (not set)  [not set]" in out
    assert "api_key      (not set)" in out
    assert "problem: server_url is required" in out
    assert "problem: instance_id must be a valid UUID" in out
    assert out.rstrip().endswith("\n3 problems found")


def test_doctor_malformed_key_is_a_problem_and_never_printed(
    local_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["doctor", "--server-url", local_server.url, "--instance-id", INSTANCE_ID]
    assert main([*argv, "--api-key", BAD_KEY]) == 1
    out = capsys.readouterr().out
    assert f"api_key      <redacted, {len(BAD_KEY)} characters>  [--api-key]" in out
    assert "problem: api_key must be a 64-character hex string" in out
    assert "key check skipped" in out
    assert BAD_KEY not in out


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MOSAIC_TELEMETRY_ENABLED", "off"),
        ("MOSAIC_TELEMETRY_ENABLED", "FALSE"),
        ("MOSAIC_TELEMETRY_ENABLED", "0"),
        ("DO_NOT_TRACK", "1"),
    ],
)
def test_doctor_telemetry_switched_off_by_the_environment_exits_1(
    env_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
) -> None:
    # Everything else is fine: the server answers and takes the key.
    monkeypatch.setenv(variable, value)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"problem: {variable}={value} turns telemetry off" in out
    assert "the server accepts the API key" in out
    assert out.rstrip().endswith("\n1 problem found")


def test_doctor_notes_an_unrecognised_enabled_value_the_sdk_ignores(
    env_server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "enabled")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "note:    MOSAIC_TELEMETRY_ENABLED=enabled is not one of" in out
    assert out.rstrip().endswith("all good")


@pytest.mark.parametrize("suffix", ["/v1", "/v1/"])
def test_doctor_suggests_dropping_a_trailing_v1(
    env_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", env_server.url + suffix)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert (
        f"problem: server_url ends in /v1, but the SDK adds /v1/... itself: use {env_server.url} "
        "instead" in out
    )


# --- demo -----------------------------------------------------------------------------------


def test_demo_runs_end_to_end_against_its_own_local_server() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_TELEMETRY_")}
    result = subprocess.run([*CLI, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Started the local Telemetry API v1 server on http://127.0.0.1:" in out
    assert "500 delivered" in out
    assert "0 rejected, 0 duplicates, 0 dropped, 0 still queued" in out
    assert "The server's database holds 500 events." in out
    table = out.split("Predictions (", 1)[1]
    assert "task_type" in table
    assert "confidence" in table
    # An exact match, a fallback (a model the data lacks) and a combination without data.
    assert "claude-opus-4-1-20250805" in table
    assert "security_audit" in table
    assert "none" in table
    assert "Prediction for implementation / claude-sonnet-4-5-20250929" in out
    assert "Stopped the local server" in out
    assert "Traceback" not in result.stderr


def test_demo_targets_the_server_named_by_the_environment(
    env_server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--events", "150", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"Using the server from $MOSAIC_TELEMETRY_SERVER_URL: {env_server.url}" in out
    assert "Started the local" not in out
    assert "150 delivered" in out
    assert env_server.stats().events == 150
    assert len(_stored_ids(env_server)) == 150
    assert API_KEY not in out


def test_demo_fails_loudly_when_events_are_not_delivered(
    env_server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The key is valid but bound to another instance: the server refuses every batch.
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", str(uuid.uuid4()))
    assert main(["demo", "--events", "20"]) == 1
    captured = capsys.readouterr()
    assert "events were not all delivered" in captured.err
    assert "Predictions (" not in captured.out
    assert env_server.stats().events == 0
    assert API_KEY not in captured.out + captured.err


def test_demo_with_incomplete_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", "http://127.0.0.1:9")
    assert main(["demo"]) == 2
    assert "api_key must be a 64-character hex string" in capsys.readouterr().err


def test_demo_same_seed_same_data() -> None:
    import random
    from datetime import datetime, timezone

    from mosaicstack_telemetry._cli._demo import make_event

    now = datetime(2026, 11, 22, tzinfo=timezone.utc)

    def sample(seed: int) -> list[tuple[Any, ...]]:
        rng = random.Random(seed)
        events = [make_event(rng, INSTANCE_ID, now) for _ in range(50)]
        return [(e.model, e.actual_input_tokens, e.actual_cost_usd_micros) for e in events]

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_demo_without_the_server_extra_names_the_extra() -> None:
    # Block the extra's modules the way a core-only install lacks them.
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['uvicorn'] = None; "
        "from mosaicstack_telemetry._cli import main; sys.exit(main(['demo']))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_TELEMETRY_")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "pip install 'mosaicstack-telemetry[server]'" in result.stderr
    assert "MOSAIC_TELEMETRY_SERVER_URL" in result.stderr


def test_ctrl_c_during_send_prints_the_summary_so_far_and_exits_130(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    import signal
    import time

    # 250 events, 3 batches: the first is stored, the second hangs on the server.
    fault_server.script(Reply(202), Reply(202, delay=15.0))
    path = _write_jsonl(tmp_path / "events.jsonl", [event_payload() for _ in range(250)])
    env = {
        **os.environ,
        "MOSAIC_TELEMETRY_SERVER_URL": fault_server.url,
        "MOSAIC_TELEMETRY_API_KEY": API_KEY,
        "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "mosaicstack_telemetry._cli", "send", str(path), "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(fault_server.event_posts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fault_server.event_posts()) == 2
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    summary = _summary(out)
    assert summary["delivered"].startswith(f"100 of 250 to {fault_server.url}: 100 stored")
    assert summary["not delivered"].startswith("150 (interrupted before the server answered;")
    assert summary["interrupted"] == "by Ctrl-C: these are the outcomes so far"
    assert "Traceback" not in err
    assert API_KEY not in out + err
