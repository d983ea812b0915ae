"""What a program with no logging setup gets to see: a dry run's lines, and events never sent.

Each test runs a small program in a fresh interpreter, as a user's script would run, because
both depend on the process having configured no logging at all, and one on interpreter exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.factories import API_KEY, INSTANCE_ID
from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """
from mosaicstack_telemetry import EventBuilder, TelemetryClient, TelemetryConfig
config = TelemetryConfig(server_url={url!r}, api_key={key!r}, instance_id={iid!r}{extra})
events = [EventBuilder(config.instance_id).duration_ms(i).build() for i in range(3)]
"""


def _run(program: str, url: str, extra: str = "") -> subprocess.CompletedProcess[str]:
    prelude = PRELUDE.format(url=url, key=API_KEY, iid=INSTANCE_ID, extra=extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAIC_TELEMETRY_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env.pop("DO_NOT_TRACK", None)
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(program)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


# --- dry run -------------------------------------------------------------------------------


DRY_RUN = """
from mosaicstack_telemetry import Complexity, PredictionQuery, Provider, TaskType
{setup}
with TelemetryClient(config) as client:
    for event in events:
        client.track(event)
    client.refresh_predictions_sync([PredictionQuery(
        task_type=TaskType.TESTING, model="m", provider=Provider.OPENAI,
        complexity=Complexity.LOW,
    )])
print("dry_run", client.stats.dry_run)
"""


def test_dry_run_lines_show_on_stderr_without_any_logging_setup(
    fault_server: FaultServer,
) -> None:
    result = _run(DRY_RUN.format(setup=""), fault_server.url, ", dry_run=True")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["dry_run", "3"]
    lines = result.stderr.splitlines()
    batch = f"[DRY RUN] Would submit batch of 3 events to {fault_server.url}/v1/events/batch"
    assert lines.count(batch) == 1
    assert f"[DRY RUN] Would fetch predictions for 1 queries from {fault_server.url}" in lines
    assert fault_server.requests == []


def test_dry_run_lines_follow_the_hosts_logging_once_it_is_configured(
    fault_server: FaultServer,
) -> None:
    # The host's configuration decides: at INFO through its handler (once), hidden at WARNING.
    shown = (
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')"
    )
    result = _run(DRY_RUN.format(setup=shown), fault_server.url, ", dry_run=True")
    assert result.returncode == 0, result.stderr
    batch = f"INFO [DRY RUN] Would submit batch of 3 events to {fault_server.url}/v1/events/batch"
    assert result.stderr.splitlines().count(batch) == 1

    hidden = "import logging\nlogging.basicConfig(level=logging.WARNING)"
    result = _run(DRY_RUN.format(setup=hidden), fault_server.url, ", dry_run=True")
    assert result.returncode == 0, result.stderr
    assert "[DRY RUN]" not in result.stderr
    assert result.stdout.split() == ["dry_run", "3"]


# --- a client that was never started ---------------------------------------------------------

NEVER_STARTED_WARNING = (
    "3 telemetry events were tracked but never sent: the TelemetryClient was never started. "
    "Call client.start() (or await client.start_async(), or use `with TelemetryClient(config) "
    "as client:`) before tracking, and client.stop() before exit"
)


def test_a_never_started_client_warns_once_at_exit_with_the_count_and_the_fix(
    fault_server: FaultServer,
) -> None:
    program = """
    client = TelemetryClient(config)
    for event in events:
        client.track(event)
    print("queued", client.queue_size)
    """
    result = _run(program, fault_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["queued", "3"]
    assert result.stderr.splitlines() == [NEVER_STARTED_WARNING]
    assert fault_server.requests == []


def test_the_loss_is_recorded_in_stats(fault_server: FaultServer) -> None:
    # atexit runs hooks last-in first-out: this one, registered before the first track(), runs
    # after the SDK's and sees what it recorded.
    program = """
    import atexit
    client = TelemetryClient(config)
    atexit.register(lambda: print("unsent_at_exit", client.stats.unsent_at_exit))
    print("before", client.stats.unsent_at_exit)
    for event in events:
        client.track(event)
    """
    result = _run(program, fault_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["before", "0", "unsent_at_exit", "3"]


def test_a_never_started_client_dropped_before_exit_is_reported_too(
    fault_server: FaultServer,
) -> None:
    program = """
    import gc

    def report_one():
        client = TelemetryClient(config)
        client.track(events[0])

    report_one()
    gc.collect()
    """
    result = _run(program, fault_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        NEVER_STARTED_WARNING.replace("3 telemetry events were", "1 telemetry event was")
    ]


def test_starting_late_delivers_everything_and_warns_about_nothing(
    fault_server: FaultServer,
) -> None:
    program = """
    client = TelemetryClient(config)
    for event in events:
        client.track(event)
    client.start()
    client.stop()
    print("unsent_at_exit", client.stats.unsent_at_exit, "delivered", client.stats.delivered)
    """
    result = _run(program, fault_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["unsent_at_exit", "0", "delivered", "3"]
    assert result.stderr == ""
    assert len(fault_server.stored_events) == 3


def test_a_disabled_client_stays_silent(fault_server: FaultServer) -> None:
    program = """
    client = TelemetryClient(config)
    for event in events:
        client.track(event)
    """
    result = _run(program, fault_server.url, ", enabled=False")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
