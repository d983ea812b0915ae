"""The disk spool: files, bounds, corrupt files, several processes, the client and the CLI.

Real directories (pytest's tmp_path), real processes and a real server on 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mosaicstack_telemetry import TaskCompletionEvent, TelemetryClient, TelemetryConfig
from mosaicstack_telemetry._cli import main
from mosaicstack_telemetry._spool import Spool
from tests.factories import API_KEY, INSTANCE_ID, event_payload
from tests.fault_server import FaultServer, Reply

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_telemetry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MOSAIC_TELEMETRY_"):
            monkeypatch.delenv(name)


def _events(n: int) -> list[TaskCompletionEvent]:
    return [TaskCompletionEvent(**event_payload()) for _ in range(n)]


def _ids(events: list[TaskCompletionEvent]) -> list[str]:
    return [str(e.event_id) for e in events]


def _config(url: str, spool: Path, **overrides: object) -> TelemetryConfig:
    settings: dict[str, object] = {
        "server_url": url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "submit_interval_seconds": 3600.0,
        "spool_dir": str(spool),
        **overrides,
    }
    return TelemetryConfig(**settings)  # type: ignore[arg-type]


def test_written_events_come_back_oldest_first_then_the_file_is_gone(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    first, second = _events(3), _events(2)
    spool.write(first)
    spool.write(second)
    assert spool.status().files == 2
    assert spool.status().events == 5
    claimed = spool.claim(100)
    assert _ids(claimed.events) == _ids(first + second)
    assert claimed.events == first + second  # every field survives the round trip
    assert spool.status().files == 0
    assert list(tmp_path.glob("*.jsonl")) == []


def test_claim_takes_whole_files_while_they_fit(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    for _ in range(3):
        spool.write(_events(4))
    assert len(spool.claim(9).events) == 8  # two files fit, the third stays
    assert spool.status().events == 4


def test_beyond_max_bytes_the_oldest_files_are_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    spool.write(_events(10))
    one_file = spool.status().bytes
    small = Spool(tmp_path, int(one_file * 2.5))
    newest = _events(10)
    assert small.write(_events(10)) == 0
    assert small.write(newest) == 10  # three files do not fit: the oldest goes
    assert small.status().files == 2
    assert _ids(small.claim(100).events)[-10:] == _ids(newest)


def test_corrupt_and_truncated_lines_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, 10_000_000)
    good = _events(3)
    spool.write(good)
    (path,) = tmp_path.glob("*.jsonl")
    text = path.read_text()
    path.write_text(text + '{"not": "an event"}\n' + text.splitlines()[0][:40])  # truncated
    (tmp_path / "00000000000000000001-1-garbage.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        claimed = spool.claim(100)
    assert _ids(claimed.events) == _ids(good)
    assert claimed.skipped == 3
    assert "unreadable lines skipped" in caplog.text


def test_a_file_claimed_by_a_dead_process_is_released(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    events = _events(2)
    spool.write(events)
    (path,) = tmp_path.glob("*.jsonl")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    path.rename(tmp_path / f".claimed-{dead}-abcd1234-{path.name}")
    assert _ids(spool.claim(100).events) == _ids(events)


def test_a_full_queue_spools_instead_of_evicting(fault_server: FaultServer, tmp_path: Path) -> None:
    client = TelemetryClient(_config(fault_server.url, tmp_path, max_queue_size=10))
    events = _events(260)
    for event in events:
        client.track(event)
    stats = client.stats
    assert stats.evicted == 0
    assert stats.spooled == 200  # handed over 100 at a time, never one file per event
    assert len(list(tmp_path.glob("*.jsonl"))) == 2
    client.start()
    client.stop(timeout=0)  # no time for the network: everything else is spooled too
    assert client.stats.spooled == 260
    # A later client delivers all of it, oldest first, claiming more as its queue frees up.
    later = TelemetryClient(
        _config(fault_server.url, tmp_path, max_queue_size=100, submit_interval_seconds=0.05)
    )
    later.start()
    deadline = time.monotonic() + 20
    while len(fault_server.stored_events) < 260 and time.monotonic() < deadline:
        time.sleep(0.05)
    later.stop()
    assert set(fault_server.stored_events) == set(_ids(events))
    assert later.stats.unspooled == 260
    assert later.stats.delivered == 260


def test_the_spool_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SPOOL_DIR", str(tmp_path))
    assert TelemetryConfig().spool_dir == str(tmp_path)
    monkeypatch.setenv("MOSAIC_TELEMETRY_SPOOL_DIR", " ")
    assert TelemetryConfig().spool_dir is None
    assert TelemetryConfig(spool_dir=tmp_path).spool_dir == tmp_path


def test_an_unwritable_spool_keeps_the_events_in_memory(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    client = TelemetryClient(_config(fault_server.url, blocker / "spool"))
    for event in _events(5):
        client.track(event)
    client.start()
    client.stop(timeout=0)
    assert client.queue_size == 5
    assert client.stats.spooled == 0


def _spool_env(url: str, spool: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "MOSAIC_TELEMETRY_SERVER_URL": url,
        "MOSAIC_TELEMETRY_API_KEY": API_KEY,
        "MOSAIC_TELEMETRY_INSTANCE_ID": INSTANCE_ID,
        "MOSAIC_TELEMETRY_SPOOL_DIR": str(spool),
    }


def test_two_processes_flushing_one_spool_send_each_event_once(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    spool = Spool(tmp_path, 100_000_000)
    events = _events(400)
    for start in range(0, 400, 20):
        spool.write(events[start : start + 20])
    command = [sys.executable, "-m", "mosaicstack_telemetry._cli", "spool", "flush"]
    env = _spool_env(fault_server.url, tmp_path)
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]  # fmt: skip
    for process in processes:
        process.communicate(timeout=60)
        assert process.returncode == 0
    posted = [e["event_id"] for r in fault_server.event_posts() for e in r.json()["events"]]
    assert sorted(posted) == sorted(_ids(events))  # every event, none twice
    assert spool.status().files == 0


def test_cli_spool_status_and_flush(
    fault_server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in _spool_env(fault_server.url, tmp_path).items():
        if name.startswith("MOSAIC_TELEMETRY_"):
            monkeypatch.setenv(name, value)
    Spool(tmp_path, 10_000_000).write(_events(7))
    assert main(["spool", "status"]) == 0
    assert f"{tmp_path}: 1 files, 7 events" in capsys.readouterr().out
    fault_server.script(Reply(503, headers={"Retry-After": "60"}))
    assert main(["spool", "flush", "--timeout", "1"]) == 1  # the server asked for quiet
    assert "0 events delivered; 7 left in the spool" in capsys.readouterr().out
    fault_server.chaos = None
    fault_server._script.clear()
    assert Spool(tmp_path, 10_000_000).status().events == 7


def test_cli_spool_flush_delivers_everything(
    fault_server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = Spool(tmp_path, 10_000_000)
    for _ in range(3):
        spool.write(_events(500))
    argv = ["spool", "flush", "--spool-dir", str(tmp_path), "--server-url", fault_server.url,
            "--api-key", API_KEY, "--instance-id", INSTANCE_ID]  # fmt: skip
    assert main(argv) == 0
    assert "1500 events delivered; 0 left in the spool" in capsys.readouterr().out
    assert len(fault_server.stored_events) == 1500
    assert spool.status().files == 0


def test_cli_spool_without_a_directory_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spool", "status"]) == 2
    assert "no spool directory" in capsys.readouterr().err
