"""The submitter against a real HTTP server on 127.0.0.1 that misbehaves on cue.

Both drivers (thread and asyncio) run the same scenario list. For each scenario the server's
scripted replies are played in order (after that it answers as a healthy server), and the test
checks how many requests were made, what was delivered, dropped or put back, and what the server
stored.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from mosaicstack_telemetry import (
    EventBuilder,
    TaskCompletionEvent,
    TelemetryClient,
    TelemetryConfig,
)
from mosaicstack_telemetry._retry import RetryPolicy
from tests.factories import API_KEY, INSTANCE_ID
from tests.fault_server import FaultServer, Reply

N = 5


def _config(url: str, **overrides: object) -> TelemetryConfig:
    values: dict[str, object] = {
        "server_url": url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "submit_interval_seconds": 0.05,
        "request_timeout_seconds": 0.5,
        "max_retries": 3,
    }
    values.update(overrides)
    return TelemetryConfig(**values)  # type: ignore[arg-type]


def _client(url: str, base_delay: float = 0.02, **overrides: object) -> TelemetryClient:
    client = TelemetryClient(_config(url, **overrides))
    # Same policy as production, shorter waits: the waits themselves are tested exactly in
    # test_delivery.py. Retry-After stays honoured as given.
    client._delivery._policy = RetryPolicy(max_retries=3, base_delay=base_delay, max_delay=0.1)
    return client


def _events(n: int = N) -> list[TaskCompletionEvent]:
    builder = EventBuilder(INSTANCE_ID).model("claude-sonnet-4-5-20250929")
    return [builder.duration_ms(i).build() for i in range(n)]


class Driver:
    name = "thread"

    async def start(self, client: TelemetryClient) -> None:
        client.start()

    async def stop(self, client: TelemetryClient) -> None:
        client.stop()


class AsyncDriver(Driver):
    name = "asyncio"

    async def start(self, client: TelemetryClient) -> None:
        await client.start_async()

    async def stop(self, client: TelemetryClient) -> None:
        await client.stop_async()


DRIVERS = [Driver(), AsyncDriver()]


@dataclass
class Scenario:
    name: str
    replies: Callable[[list[TaskCompletionEvent]], list[Reply]]
    requests: int
    stored: int
    delivered: int = N
    dropped: int = 0
    rejected: int = 0
    put_back: int = 0
    isolated: int = 0
    overrides: dict[str, object] = field(default_factory=dict)


def _partial(events: list[TaskCompletionEvent]) -> list[Reply]:
    results = [{"event_id": str(e.event_id), "status": "accepted", "error": None} for e in events]
    results[1].update(status="rejected", error="model: too long")
    results[2].update(status="rejected", error="duplicate event_id")
    return [Reply(202, json_body={"accepted": N - 2, "rejected": 2, "results": results})]


def _loc(*indexes: int) -> dict[str, object]:
    locs = [["body", "events", i, "model"] for i in indexes] or [["body"]]
    return {"detail": [{"loc": loc, "msg": "invalid", "type": "value_error"} for loc in locs]}


SCENARIOS = [
    Scenario("500 then ok", lambda _: [Reply(500)], requests=2, stored=N),
    Scenario("503 until retries run out, next cycle ok", lambda _: [Reply(503)] * 4,
             requests=5, stored=N, put_back=N),
    Scenario("429 with Retry-After", lambda _: [Reply(429, headers={"Retry-After": "1"})],
             requests=2, stored=N),
    Scenario("403 forbidden", lambda _: [Reply(403)], requests=1, stored=0, delivered=0, dropped=N),
    Scenario("422 naming one event", lambda _: [Reply(422, json_body=_loc(2))],
             requests=2, stored=N - 1, delivered=N - 1, isolated=1),
    Scenario("422 for the whole request", lambda _: [Reply(422, json_body=_loc())],
             requests=1, stored=0, delivered=0, dropped=N),
    Scenario("413 splits the batch", lambda _: [Reply(413)], requests=3, stored=N),
    Scenario("400 kept for next cycle", lambda _: [Reply(400)], requests=2, stored=N, put_back=N),
    Scenario("slower than the timeout", lambda _: [Reply(202, delay=1.0)], requests=2, stored=N),
    Scenario("dropped connection", lambda _: [Reply(drop=True)], requests=2, stored=N),
    Scenario("partial success", _partial, requests=1, stored=0, delivered=N - 1, rejected=1),
    Scenario("non-JSON body", lambda _: [Reply(202, raw_body=b"<html>proxy</html>")],
             requests=2, stored=N),
]  # fmt: skip


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition another thread makes true; the caller asserts on the state afterwards."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def _settle(client: TelemetryClient, total: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = client.stats
        settled = s.delivered + s.dropped + s.rejected + s.isolated
        if settled == total and client.queue_size == 0:
            await asyncio.sleep(0.15)  # and nothing more happens afterwards
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"did not settle: {client.stats}, queue={client.queue_size}")


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
async def test_scenario(fault_server: FaultServer, driver: Driver, scenario: Scenario) -> None:
    events = _events()
    fault_server.script(*scenario.replies(events))
    client = _client(fault_server.url, **scenario.overrides)
    for event in events:
        client.track(event)
    await driver.start(client)
    try:
        await _settle(client, N)
    finally:
        await driver.stop(client)
    stats = client.stats
    posts = fault_server.event_posts()
    assert len(posts) == scenario.requests
    assert len(fault_server.stored_events) == scenario.stored
    assert (stats.delivered, stats.dropped, stats.rejected, stats.put_back, stats.isolated) == (
        scenario.delivered,
        scenario.dropped,
        scenario.rejected,
        scenario.put_back,
        scenario.isolated,
    )
    assert client.queue_size == 0
    # Every retry carried the same batch: retries resend, they never rebuild or lose events.
    sent_ids = [[e["event_id"] for e in p.json()["events"]] for p in posts]
    all_ids = [str(e.event_id) for e in events]
    if not scenario.isolated and scenario.name != "413 splits the batch":
        assert all(ids == all_ids for ids in sent_ids)
    if scenario.stored == N:
        assert set(fault_server.stored_events) == set(all_ids)
    if scenario.isolated:
        assert set(fault_server.stored_events) == set(all_ids) - {all_ids[2]}


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_retry_after_is_waited_for(fault_server: FaultServer, driver: Driver) -> None:
    fault_server.script(Reply(429, headers={"Retry-After": "1"}))
    client = _client(fault_server.url)
    client.track(_events(1)[0])
    await driver.start(client)
    try:
        await _settle(client, 1)
    finally:
        await driver.stop(client)
    first, second = fault_server.event_posts()
    assert first.received_at is not None
    assert second.received_at is not None
    assert second.received_at - first.received_at >= 0.95


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_403_logged_once_as_configuration_error(
    fault_server: FaultServer, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    fault_server.script(Reply(403), Reply(403), Reply(403))
    client = _client(fault_server.url)
    for event in _events(250):
        client.track(event)
    with caplog.at_level(logging.ERROR, logger="mosaicstack_telemetry"):
        await driver.start(client)
        try:
            await _settle(client, 250)
        finally:
            await driver.stop(client)
    assert len(fault_server.event_posts()) == 3
    assert client.stats.dropped == 250
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "check api_key and instance_id" in errors[0]
    assert API_KEY not in caplog.text


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_server_down_stop_is_bounded_and_keeps_the_events(driver: Driver) -> None:
    # Server down, real backoff (1 s, 2 s, 4 s...): the final flush waits as a normal cycle does
    # but never past stop()'s deadline, so it makes a bounded number of requests.
    client = TelemetryClient(
        _config(_closed_port(), submit_interval_seconds=60.0, max_retries=1000)
    )
    for event in _events(150):
        client.track(event)
    await driver.start(client)
    started = time.monotonic()
    if driver.name == "thread":
        client.stop(timeout=4.0)
    else:
        await client.stop_async(timeout=4.0)
    assert time.monotonic() - started < 5.0
    stats = client.stats
    assert 2 <= stats.requests <= 3  # at 0 s, ~1 s and ~3 s; the next wait would end past 4 s
    # The first batch, put back once by the final flush; twice when the backlog cycle that
    # start() woke had already taken it (it puts it back at the deadline, then the final flush
    # does). Either way the flush then stops trying.
    assert stats.put_back in (100, 200)
    assert client.queue_size == 150  # nothing lost: still queued for a later start()
    assert not client.is_running


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_stop_cuts_a_backoff_wait_that_would_end_past_its_deadline(
    fault_server: FaultServer, driver: Driver
) -> None:
    fault_server.script(Reply(503))
    client = _client(fault_server.url)
    client._delivery._policy = RetryPolicy(max_retries=3, base_delay=30.0, max_delay=30.0)
    client.track(_events(1)[0])
    await driver.start(client)
    await _until(lambda: client.stats.retries > 0)
    assert client.stats.retries == 1  # the worker is now in a 30 s backoff
    started = time.monotonic()
    await driver.stop(client)  # the default 10 s deadline: the backoff cannot be kept
    assert time.monotonic() - started < 2.0
    assert len(fault_server.event_posts()) == 1  # no retry storm at shutdown
    assert client.queue_size == 1
    assert client.stats.delivered == 0


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_stop_keeps_a_backoff_wait_that_fits_and_delivers(
    fault_server: FaultServer, driver: Driver
) -> None:
    fault_server.script(Reply(503))
    client = _client(fault_server.url)
    client._delivery._policy = RetryPolicy(max_retries=3, base_delay=1.0, max_delay=1.0, jitter=0)
    client.track(_events(1)[0])
    await driver.start(client)
    await _until(lambda: client.stats.retries > 0)
    await driver.stop(client)
    first, second = fault_server.event_posts()
    assert first.received_at is not None
    assert second.received_at is not None
    assert second.received_at - first.received_at >= 0.95
    assert client.stats.delivered == 1


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_worker_wakes_when_a_batch_fills(fault_server: FaultServer, driver: Driver) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=10)
    await driver.start(client)
    try:
        for event in _events(10):
            client.track(event)
        await _until(lambda: len(fault_server.stored_events) >= 10)
        assert len(fault_server.stored_events) == 10  # long before the 60 s interval
    finally:
        await driver.stop(client)


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_requests_carry_auth_user_agent_and_full_wire_json(
    fault_server: FaultServer, driver: Driver
) -> None:
    client = _client(fault_server.url)
    client.track(_events(1)[0])
    await driver.start(client)
    await driver.stop(client)
    (post,) = fault_server.event_posts()
    assert post.headers["Authorization"] == f"Bearer {API_KEY}"
    assert post.headers["User-Agent"] == "mosaicstack-telemetry-python/0.1.0"
    event = post.json()["events"][0]
    assert event["schema_version"] == "1.0"
    assert event["language"] is None
    assert event["quality_gates_failed"] == []
    assert len(event) == 26


def test_one_http_connection_is_reused(fault_server: FaultServer) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=10)
    client.start()
    for event in _events(50):
        client.track(event)
    client.stop()
    posts = fault_server.event_posts()
    assert len(posts) == 5
    assert len({p.client_port for p in posts}) == 1


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_backlog_tracked_before_start_goes_out_at_once(
    fault_server: FaultServer, driver: Driver
) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=10)
    for event in _events(25):
        client.track(event)
    await driver.start(client)
    try:
        await _until(lambda: len(fault_server.stored_events) >= 25)
        assert len(fault_server.stored_events) == 25  # not after the 60 s interval
    finally:
        await driver.stop(client)


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.name)
async def test_queue_smaller_than_a_batch_still_wakes_the_worker(
    fault_server: FaultServer, driver: Driver
) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, max_queue_size=5)
    await driver.start(client)
    try:
        for event in _events(5):
            client.track(event)
        await _until(lambda: len(fault_server.stored_events) >= 5)
        assert len(fault_server.stored_events) == 5
        assert client.stats.evicted == 0
    finally:
        await driver.stop(client)


def test_track_after_the_event_loop_ended_keeps_the_event_quietly(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(fault_server.url, submit_interval_seconds=60.0, batch_size=1)
    asyncio.run(client.start_async())  # the loop ends without stop_async()
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        client.track(_events(1)[0])
    assert client.queue_size == 1
    assert "Unexpected error" not in caplog.text
    client.start()  # a later start delivers it
    client.stop()
    assert len(fault_server.stored_events) == 1
