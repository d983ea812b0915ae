"""stop(), stop_async() and flush() against a real server on 127.0.0.1 that misbehaves.

Both drivers run each scenario. Whatever the server does, stop returns within its timeout plus a
small constant, no request goes out before a Retry-After has expired, and every event ends up
delivered, queued, spooled or counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path

import pytest

from mosaicstack_telemetry import TaskCompletionEvent, TelemetryClient
from tests.fault_server import FaultServer, Reply
from tests.test_fault_scenarios import DRIVERS, Driver, _client, _events, _until

# Generous: the machine running the tests may be loaded.
SLACK = 1.0


async def _stop(driver: Driver, client: TelemetryClient, timeout: float) -> float:
    started = time.monotonic()
    if driver.name == "thread":
        client.stop(timeout=timeout)
    else:
        await client.stop_async(timeout=timeout)
    return time.monotonic() - started


def _spool_files(directory: Path) -> list[Path]:
    return list(directory.glob("*.jsonl"))


def _accounted(client: TelemetryClient) -> int:
    s = client.stats
    return (
        s.delivered + s.rejected + s.dropped + s.isolated + s.dropped_refused + s.dropped_stale
        + s.evicted + s.spooled + client.queue_size
    )  # fmt: skip


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_stop_keeps_a_retry_after_that_fits_the_deadline(
    fault_server: FaultServer, driver: Driver
) -> None:
    fault_server.script(Reply(429, headers={"Retry-After": "2"}))
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=5)
    for event in _events(5):
        client.track(event)
    await driver.start(client)
    await _until(lambda: len(fault_server.event_posts()) >= 1)
    await _stop(driver, client, timeout=6.0)
    first, second = fault_server.event_posts()
    assert first.received_at is not None
    assert second.received_at is not None
    assert second.received_at - first.received_at >= 1.95  # never before the Retry-After
    assert len(fault_server.stored_events) == 5


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_stop_does_not_start_a_wait_past_its_deadline(
    fault_server: FaultServer, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.script(Reply(429, headers={"Retry-After": "30"}))
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=5)
    for event in _events(5):
        client.track(event)
    await driver.start(client)
    await _until(lambda: len(fault_server.event_posts()) >= 1)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        took = await _stop(driver, client, timeout=2.0)
    assert took < 2.0 + SLACK
    assert len(fault_server.event_posts()) == 1  # the server asked for 30 s of quiet
    assert client.queue_size == 5
    assert "5 telemetry events are still queued" in caplog.text


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
@pytest.mark.parametrize("misbehaviour", ["hang", "trickle"])
async def test_stop_is_bounded_whatever_the_server_does(
    fault_server: FaultServer, driver: Driver, misbehaviour: str
) -> None:
    reply = Reply(hang=True) if misbehaviour == "hang" else Reply(trickle=0.3)
    fault_server.chaos = lambda: reply  # every request, for as long as the test runs
    client = _client(
        fault_server.url,
        submit_interval_seconds=60.0,
        request_timeout_seconds=30.0,
        shutdown_timeout_seconds=2.0,
    )
    for event in _events(150):
        client.track(event)
    await driver.start(client)
    await _until(lambda: len(fault_server.event_posts()) >= 1)  # a request is in flight
    started = time.monotonic()
    await driver.stop(client)  # the configured deadline: shutdown_timeout_seconds
    took = time.monotonic() - started
    assert took < 2.0 + SLACK
    assert not client.is_running
    # Nothing vanished: the batch in flight went back on the queue.
    assert client.queue_size == 150
    assert client.stats.delivered == 0
    assert client.stats.put_back >= 100


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_stop_with_zero_timeout_and_a_spool_returns_at_once(
    fault_server: FaultServer, driver: Driver, tmp_path: Path
) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, spool_dir=str(tmp_path))
    for event in _events(30):
        client.track(event)
    await driver.start(client)
    took = await _stop(driver, client, timeout=0.0)
    assert took < SLACK
    assert fault_server.event_posts() == []
    assert client.stats.spooled == 30
    assert client.queue_size == 0
    assert len(_spool_files(tmp_path)) == 1
    # The next client with the same spool delivers them first.
    later = _client(fault_server.url, submit_interval_seconds=60.0, spool_dir=str(tmp_path))
    await driver.start(later)
    assert later.stats.unspooled == 30
    await _stop(driver, later, timeout=5.0)
    assert len(fault_server.stored_events) == 30
    assert _spool_files(tmp_path) == []


def test_flush_delivers_what_is_queued_and_says_what_happened(fault_server: FaultServer) -> None:
    fault_server.script(Reply(500))
    client = _client(fault_server.url)  # never started: flush is asked for, so it sends
    for event in _events(120):
        client.track(event)
    result = client.flush(timeout=5.0)
    assert (result.delivered, result.dropped, result.queued) == (120, 0, 0)
    assert len(fault_server.stored_events) == 120


def test_flush_within_a_deadline_keeps_what_it_could_not_send(fault_server: FaultServer) -> None:
    fault_server.script(Reply(503, headers={"Retry-After": "20"}))
    client = _client(fault_server.url)
    for event in _events(3):
        client.track(event)
    started = time.monotonic()
    result = client.flush(timeout=1.0)
    assert time.monotonic() - started < 1.0 + SLACK
    assert (result.delivered, result.queued) == (0, 3)


async def test_flush_async(fault_server: FaultServer) -> None:
    client = _client(fault_server.url)
    for event in _events(7):
        client.track(event)
    result = await client.flush_async(timeout=5.0)
    assert (result.delivered, result.queued) == (7, 0)


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_one_unvalidated_event_among_valid_ones_costs_only_itself(
    fault_server: FaultServer, driver: Driver
) -> None:
    events = _events(99)
    fields = {**dict(events[0]), "event_id": uuid.uuid4()}
    del fields["task_type"]  # model_construct() does not notice a missing required field
    broken = TaskCompletionEvent.model_construct(**fields)
    client = _client(fault_server.url)
    for event in [*events[:50], broken, *events[50:]]:
        client.track(event)
    await driver.start(client)
    await _stop(driver, client, timeout=5.0)
    assert len(fault_server.stored_events) == 99
    assert client.stats.delivered == 99
    assert client.stats.invalid == 1


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_a_batch_refused_three_cycles_in_a_row_no_longer_blocks_the_queue(
    fault_server: FaultServer, driver: Driver
) -> None:
    fault_server.script(Reply(404), Reply(404), Reply(404))
    client = _client(fault_server.url, submit_interval_seconds=0.05, batch_size=10)
    for event in _events(15):
        client.track(event)
    await driver.start(client)
    try:
        await _until(lambda: client.stats.delivered == 5, timeout=10.0)
    finally:
        await _stop(driver, client, timeout=5.0)
    assert client.stats.dropped_refused == 10
    assert len(fault_server.stored_events) == 5
    assert _accounted(client) == 15


async def test_asyncio_task_cancelled_mid_request_puts_its_batch_back(
    fault_server: FaultServer,
) -> None:
    fault_server.script(Reply(202, delay=5.0))
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=10)
    for event in _events(10):
        client.track(event)
    await client.start_async()
    await _until(lambda: len(fault_server.event_posts()) >= 1)
    worker = client._async_worker
    assert worker is not None
    assert worker._task is not None
    worker._task.cancel()  # what asyncio.run() does to leftover tasks when the host returns
    await asyncio.wait({worker._task}, timeout=2.0)
    assert client.queue_size == 10
    assert client.stats.abandoned == 10
    client._async_worker = None
    assert client.flush(timeout=5.0).delivered == 10


def test_flush_after_stop_has_its_own_deadline(fault_server: FaultServer) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0)
    client.start()
    client.stop(timeout=0)
    client.track(_events(1)[0])
    assert client.flush(timeout=5.0).delivered == 1


def test_the_sigterm_handler_comes_and_goes_with_the_clients(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import weakref

    from mosaicstack_telemetry import _signals

    saved = signal.getsignal(signal.SIGTERM)
    if saved not in (signal.SIG_DFL, _signals._on_sigterm):
        pytest.skip("the test runner has its own SIGTERM handler")
    # Clients other tests left started must not count here.
    monkeypatch.setattr(_signals, "_clients", weakref.WeakSet())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        first = _client(fault_server.url, submit_interval_seconds=60.0)
        second = _client(fault_server.url, submit_interval_seconds=60.0)
        opted_out = _client(fault_server.url, submit_interval_seconds=60.0, flush_on_sigterm=False)
        opted_out.start()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        first.start()
        second.start()
        assert signal.getsignal(signal.SIGTERM) is _signals._on_sigterm
        first.stop()
        assert signal.getsignal(signal.SIGTERM) is _signals._on_sigterm  # second still needs it
        second.stop()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        opted_out.stop()
    finally:
        signal.signal(signal.SIGTERM, saved)
