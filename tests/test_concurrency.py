"""Concurrency and shutdown guarantees of TelemetryClient, against a real server on 127.0.0.1.

Both drivers (the daemon thread and the asyncio task) run every scenario: events tracked from 16
threads at once are delivered exactly once, stop() delivers what is still queued, track() never
raises and never lets junk into a batch, disabled sends nothing and starts nothing, dry run
sends nothing and logs each batch.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from mosaicstack_telemetry import (
    PredictionQuery,
    TaskCompletionEvent,
    TelemetryClient,
    TelemetryConfig,
)
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.fault_server import FaultServer
from tests.threads import live_submitters, thread_starts

LOGGER = "mosaicstack_telemetry"
QUERY = PredictionQuery.model_validate(query_payload())
THREADS = 16
PER_THREAD = 500


def config_for(server: FaultServer, **overrides: Any) -> TelemetryConfig:
    settings: dict[str, Any] = {
        "server_url": server.url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "submit_interval_seconds": 300.0,
        "max_queue_size": 20_000,
        "request_timeout_seconds": 5.0,
        **overrides,
    }
    return TelemetryConfig(**settings)


def make_events(n: int) -> list[TaskCompletionEvent]:
    return [TaskCompletionEvent(**event_payload()) for _ in range(n)]


def posted_ids(server: FaultServer) -> list[str]:
    """Every event_id in every event batch the server received, in order, repeats included."""
    return [e["event_id"] for r in server.event_posts() for e in r.json()["events"]]


def batch_sizes(server: FaultServer) -> list[int]:
    return [len(r.json()["events"]) for r in server.event_posts()]


class Trackers:
    """One thread per chunk; all call track() at once (a barrier), each for its own chunk."""

    def __init__(self, client: TelemetryClient, chunks: list[list[Any]]) -> None:
        self.errors: list[BaseException] = []
        barrier = threading.Barrier(len(chunks))

        def work(chunk: list[Any]) -> None:
            barrier.wait()
            try:
                for item in chunk:
                    client.track(item)
            except BaseException as exc:  # track() must never raise; the tests check this
                self.errors.append(exc)

        self.threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
        for t in self.threads:
            t.start()


def chunked(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


async def wait_until_async(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


# -- the two drivers behind one interface ----------------------------------------------------


class ThreadDriver:
    """client.start()/stop(); blocking calls run in place."""

    name = "thread"

    async def start(self, client: TelemetryClient) -> None:
        client.start()

    async def stop(self, client: TelemetryClient) -> None:
        client.stop()

    async def join(self, trackers: Trackers) -> None:
        for t in trackers.threads:
            t.join()
        assert trackers.errors == []

    async def wait_until(self, condition: Callable[[], bool]) -> bool:
        return await wait_until_async(condition)

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncDriver:
    """await client.start_async()/stop_async(); the loop keeps running the worker meanwhile."""

    name = "asyncio"

    async def start(self, client: TelemetryClient) -> None:
        await client.start_async()

    async def stop(self, client: TelemetryClient) -> None:
        await client.stop_async()

    async def join(self, trackers: Trackers) -> None:
        # The loop keeps running the submitter task while the tracking threads work.
        for t in trackers.threads:
            await asyncio.to_thread(t.join)
        assert trackers.errors == []

    async def wait_until(self, condition: Callable[[], bool]) -> bool:
        return await wait_until_async(condition)

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


Driver = ThreadDriver | AsyncDriver


@pytest.fixture(params=[ThreadDriver, AsyncDriver], ids=["thread", "asyncio"])
def driver(request: pytest.FixtureRequest) -> Driver:
    driver: Driver = request.param()
    return driver


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name in (
        "MOSAIC_TELEMETRY_ENABLED",
        "MOSAIC_TELEMETRY_SERVER_URL",
        "MOSAIC_TELEMETRY_API_KEY",
        "MOSAIC_TELEMETRY_INSTANCE_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    caplog.set_level(logging.INFO, logger=LOGGER)


# -- exactly once from 16 threads ------------------------------------------------------------


async def test_sixteen_threads_deliver_every_event_exactly_once(
    fault_server: FaultServer, driver: Driver
) -> None:
    client = TelemetryClient(config_for(fault_server, submit_interval_seconds=0.05))
    events = make_events(THREADS * PER_THREAD)
    tracked = {str(e.event_id) for e in events}
    assert len(tracked) == THREADS * PER_THREAD

    await driver.start(client)
    assert client.is_running
    await driver.join(Trackers(client, chunked(events, THREADS)))
    # The background submitter delivers everything while running, before any stop().
    assert await driver.wait_until(lambda: len(fault_server.stored_events) == len(tracked))
    await driver.stop(client)

    assert set(fault_server.stored_events) == tracked
    ids = posted_ids(fault_server)
    assert len(ids) == len(tracked), Counter(ids).most_common(3)  # no event sent twice
    assert all(0 < n <= 100 for n in batch_sizes(fault_server))
    stats = client.stats
    assert stats.delivered == len(tracked)
    assert (stats.duplicates, stats.rejected, stats.dropped, stats.evicted) == (0, 0, 0, 0)
    assert (stats.invalid, stats.put_back) == (0, 0)
    assert client.queue_size == 0
    assert not client.is_running
    assert live_submitters() == []


# -- stop() delivers what is still queued ----------------------------------------------------


async def test_stop_delivers_everything_still_queued(
    fault_server: FaultServer, driver: Driver
) -> None:
    # A 300 s interval and less than a batch: nothing is sent before stop()'s final flush.
    client = TelemetryClient(config_for(fault_server))
    events = make_events(99)
    await driver.start(client)
    for event in events:
        client.track(event)
    await driver.pause(0.3)
    assert fault_server.requests == []
    assert client.queue_size == 99

    await driver.stop(client)

    assert set(fault_server.stored_events) == {str(e.event_id) for e in events}
    assert batch_sizes(fault_server) == [99]
    assert client.queue_size == 0
    assert client.stats.delivered == 99
    assert not client.is_running


async def test_backlog_from_before_start_is_delivered_in_order(
    fault_server: FaultServer, driver: Driver
) -> None:
    client = TelemetryClient(config_for(fault_server))
    events = make_events(1234)
    for event in events:
        client.track(event)  # before start: the queue just fills
    assert client.queue_size == 1234
    await driver.start(client)
    await driver.stop(client)

    assert set(fault_server.stored_events) == {str(e.event_id) for e in events}
    assert batch_sizes(fault_server) == [100] * 12 + [34]
    assert posted_ids(fault_server) == [str(e.event_id) for e in events]  # oldest first
    assert client.queue_size == 0
    assert client.stats.delivered == 1234
    assert not client.is_running


async def test_stop_delivers_events_tracked_from_threads_while_running(
    fault_server: FaultServer, driver: Driver
) -> None:
    # Some batches go out when the queue fills one, the rest only in stop()'s final flush.
    client = TelemetryClient(config_for(fault_server))
    events = make_events(THREADS * 64)
    await driver.start(client)
    await driver.join(Trackers(client, chunked(events, THREADS)))
    await driver.stop(client)

    assert set(fault_server.stored_events) == {str(e.event_id) for e in events}
    assert len(posted_ids(fault_server)) == len(events)
    assert client.stats.delivered == len(events)
    assert client.queue_size == 0


def test_stop_without_start_is_safe(fault_server: FaultServer) -> None:
    client = TelemetryClient(config_for(fault_server))
    client.stop()
    asyncio.run(client.stop_async())
    assert not client.is_running
    assert fault_server.requests == []


# -- track() never raises --------------------------------------------------------------------


JUNK: list[Any] = [None, event_payload(), "an event", 42]


async def test_track_never_raises_and_junk_never_reaches_the_server(
    fault_server: FaultServer, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config_for(fault_server))
    valid = make_events(300)
    mixed: list[Any] = []
    for i, event in enumerate(valid):
        mixed.append(event)
        if i % 10 == 0:
            mixed.append(JUNK[(i // 10) % len(JUNK)])
    junk_count = len(mixed) - len(valid)
    assert junk_count == 30

    for item in mixed:
        assert client.track(item) is None
    assert client.queue_size == 300  # junk is dropped at once, never queued
    assert client.stats.invalid == junk_count
    await driver.start(client)
    await driver.stop(client)

    assert batch_sizes(fault_server) == [100, 100, 100]  # full batches: junk took no slot
    assert posted_ids(fault_server) == [str(e.event_id) for e in valid]
    for request in fault_server.event_posts():
        for sent in request.json()["events"]:
            assert isinstance(sent, dict)
            assert sent["instance_id"] == INSTANCE_ID
    assert client.stats.delivered == 300
    assert client.stats.invalid == junk_count
    dropped = [r.getMessage() for r in caplog.records if "track() expects" in r.getMessage()]
    assert len(dropped) == junk_count
    assert {m.split("got ")[1].split(";")[0] for m in dropped} == {"NoneType", "dict", "str", "int"}


async def test_junk_from_many_threads_is_counted_exactly(fault_server: FaultServer) -> None:
    client = TelemetryClient(config_for(fault_server))
    per_thread: list[Any] = [*make_events(50), *(JUNK * 250)]
    chunks = [list(per_thread) for _ in range(THREADS)]
    trackers = Trackers(client, chunks)
    for t in trackers.threads:
        t.join()
    assert trackers.errors == []
    assert client.queue_size == THREADS * 50
    assert client.stats.invalid == THREADS * 1000


class Treacherous:
    """Something whose mere type check raises."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        raise RuntimeError("no type for you")


def test_track_swallows_an_unexpected_error(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config_for(fault_server))
    (event,) = make_events(1)
    with client:
        client.track(Treacherous())  # type: ignore[arg-type]
        client.track(event)
    assert "Unexpected error in track(); event dropped" in caplog.text
    assert list(fault_server.stored_events) == [str(event.event_id)]


async def test_track_from_a_coroutine_needs_no_await(fault_server: FaultServer) -> None:
    client = TelemetryClient(config_for(fault_server))
    events = make_events(3)

    async def handler(event: TaskCompletionEvent) -> None:
        result = client.track(event)  # a plain call, inside a coroutine
        assert result is None
        await asyncio.sleep(0)

    async with client:
        await asyncio.gather(*(handler(e) for e in events))
        assert client.queue_size == 3
    assert set(fault_server.stored_events) == {str(e.event_id) for e in events}


# -- disabled --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["enabled=False", "MOSAIC_TELEMETRY_ENABLED=false"])
async def test_disabled_starts_nothing_and_sends_nothing(
    fault_server: FaultServer, driver: Driver, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "enabled=False":
        config = config_for(fault_server, enabled=False, submit_interval_seconds=0.01)
    else:
        # The environment variable always wins over the constructor (API reference).
        monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "false")
        config = config_for(fault_server, enabled=True, submit_interval_seconds=0.01)
    assert config.enabled is False
    client = TelemetryClient(config)
    tasks_before = asyncio.all_tasks()
    with thread_starts() as started:
        await driver.start(client)
        assert not client.is_running
        assert asyncio.all_tasks() == tasks_before
        for event in make_events(150):
            client.track(event)
        assert client.queue_size == 0
        # Nor does a disabled client ask for predictions.
        await client.refresh_predictions([QUERY])
        client.refresh_predictions_sync([QUERY])
        await driver.pause(0.1)
        await driver.stop(client)
    assert started == []
    assert live_submitters() == []
    assert fault_server.requests == []
    assert client.stats.delivered == 0


# -- dry run ---------------------------------------------------------------------------------


async def test_dry_run_logs_each_batch_and_sends_nothing(
    fault_server: FaultServer, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config_for(fault_server, dry_run=True))
    for event in make_events(250):
        client.track(event)
    await driver.start(client)
    await driver.stop(client)

    url = f"{fault_server.url}/v1/events/batch"
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[DRY RUN]")]
    assert logged == [
        f"[DRY RUN] Would submit batch of 100 events to {url}",
        f"[DRY RUN] Would submit batch of 100 events to {url}",
        f"[DRY RUN] Would submit batch of 50 events to {url}",
    ]
    assert fault_server.requests == []
    assert client.stats.dry_run == 250
    assert client.stats.delivered == 0
    assert client.queue_size == 0


async def test_dry_run_while_running_accounts_for_every_event(
    fault_server: FaultServer, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config_for(fault_server, dry_run=True, submit_interval_seconds=0.02))
    events = make_events(THREADS * 40)
    await driver.start(client)
    await driver.join(Trackers(client, chunked(events, THREADS)))
    await driver.stop(client)

    counts = [
        int(m.split("batch of ")[1].split(" ")[0])
        for m in (r.getMessage() for r in caplog.records)
        if m.startswith("[DRY RUN] Would submit batch of ")
    ]
    assert sum(counts) == len(events)
    assert all(0 < n <= 100 for n in counts)
    assert client.stats.dry_run == len(events)
    assert fault_server.requests == []


def test_dry_run_does_not_fetch_predictions(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config_for(fault_server, dry_run=True))
    client.refresh_predictions_sync([QUERY])
    assert fault_server.requests == []
    assert client.get_prediction(QUERY) is None
    assert "[DRY RUN] Would fetch predictions for 1 queries" in caplog.text
