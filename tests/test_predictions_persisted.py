"""Persisted, stale-while-revalidate predictions against the real local server (via a counting
proxy that can go down, come back and hang): across processes, under concurrency, while down."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mosaicstack_telemetry import PredictionQuery, TelemetryClient, TelemetryConfig
from mosaicstack_telemetry._prediction_store import store_path
from tests.counting_proxy import CountingProxy
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.local_server import LocalServer

QUERY = ("implementation", "claude-sonnet-4-5-20250929", "anthropic", "medium")


@pytest.fixture
def proxy(local_server: LocalServer) -> Iterator[CountingProxy]:
    local_server.submit([event_payload() for _ in range(12)])
    with CountingProxy(local_server.url) as running:
        yield running


def config(url: str, cache_dir: Path | None, **overrides: Any) -> TelemetryConfig:
    options: dict[str, Any] = {
        "server_url": url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "submit_interval_seconds": 3600.0,
        "max_retries": 0,
    }
    if cache_dir is not None:
        options["prediction_cache_dir"] = str(cache_dir)
    options.update(overrides)
    return TelemetryConfig(**options)


def query(key: tuple[str, str, str, str] = QUERY) -> PredictionQuery:
    return PredictionQuery(
        **dict(zip(("task_type", "model", "provider", "complexity"), key, strict=True))
    )


def estimate(client: TelemetryClient, key: tuple[str, str, str, str] = QUERY) -> Any:
    task_type, model, provider, complexity = key
    return client.estimate(
        task_type=task_type, model=model, provider=provider, complexity=complexity
    )


def wait_until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# A short-lived tool: estimates (watching first if asked), waits for fresh answers if asked, stops.
CHILD = r"""
import json, sys, time
import mosaicstack_telemetry as mt

opts = json.loads(sys.argv[1])
config = mt.TelemetryConfig(
    server_url=opts["url"], api_key=opts["api_key"], instance_id=opts["instance_id"],
    prediction_cache_dir=opts["cache_dir"], prediction_cache_ttl_seconds=opts["ttl"],
    submit_interval_seconds=3600.0, max_retries=0,
)
client = mt.TelemetryClient(config)
keys = [tuple(key) for key in opts["queries"]]

def estimates():
    return [
        client.estimate(task_type=t, model=m, provider=p, complexity=c) for t, m, p, c in keys
    ]

def plain(e):
    return {"input_tokens": e.input_tokens, "cached": e.cached, "stale": e.stale}

first = estimates()
if opts["watch"]:
    client.watch_predictions(
        [mt.PredictionQuery(task_type=t, model=m, provider=p, complexity=c) for t, m, p, c in keys]
    )
deadline = time.monotonic() + opts["wait"]
last = estimates()
while time.monotonic() < deadline and not all(e.cached and not e.stale for e in last):
    time.sleep(0.05)
    last = estimates()
client.stop()
print(json.dumps({"first": [plain(e) for e in first], "last": [plain(e) for e in last]}))
"""


def start_child(
    url: str, cache_dir: Path, keys: list[tuple[str, ...]], *, watch: bool = False, wait: float = 0
) -> subprocess.Popen[str]:
    opts = {
        "url": url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "cache_dir": str(cache_dir),
        "ttl": 3600.0,
        "queries": keys,
        "watch": watch,
        "wait": wait,
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(opts)], stdout=subprocess.PIPE, text=True
    )


def child_result(child: subprocess.Popen[str]) -> dict[str, list[dict[str, Any]]]:
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    result: dict[str, list[dict[str, Any]]] = json.loads(out)
    return result


def test_a_second_process_reads_what_the_first_cached(
    proxy: CountingProxy, local_server: LocalServer, tmp_path: Path
) -> None:
    expected = local_server.predict(query_payload())[0]["prediction"]["input_tokens"]["median"]
    first = child_result(start_child(proxy.url, tmp_path, [QUERY], wait=30))
    # Nothing cached at its start: a miss, and a refresh scheduled in the background.
    assert first["first"] == [{"input_tokens": None, "cached": False, "stale": False}]
    assert first["last"] == [{"input_tokens": expected, "cached": True, "stale": False}]

    second = child_result(start_child(proxy.url, tmp_path, [QUERY]))
    # Its very first call has the answer, and the server was asked once in all.
    assert second["first"] == [{"input_tokens": expected, "cached": True, "stale": False}]
    assert proxy.prediction_queries()[QUERY] == 1


def test_a_process_that_exits_at_once_still_leaves_the_answer_for_the_next(
    proxy: CountingProxy, tmp_path: Path
) -> None:
    # estimate() (a miss), then stop() straight away: stop() completes the scheduled refresh.
    first = child_result(start_child(proxy.url, tmp_path, [QUERY]))
    assert first["last"] == [{"input_tokens": None, "cached": False, "stale": False}]
    second = child_result(start_child(proxy.url, tmp_path, [QUERY]))
    assert second["first"] == [{"input_tokens": 112340, "cached": True, "stale": False}]
    assert proxy.prediction_queries()[QUERY] == 1


def test_concurrent_processes_send_one_request_per_query_per_ttl(
    proxy: CountingProxy, tmp_path: Path
) -> None:
    keys = [("implementation", f"model-{i}", "anthropic", "medium") for i in range(120)]
    children = [start_child(proxy.url, tmp_path, keys, watch=True, wait=60) for _ in range(4)]
    results = [child_result(child) for child in children]
    for result in results:
        assert all(e["cached"] and not e["stale"] for e in result["last"])
    asked = proxy.prediction_queries()
    assert set(asked) == set(keys)
    assert max(asked.values()) == 1, "a query was fetched twice within its TTL"
    requests = proxy.prediction_requests()
    assert all(len(body["queries"]) <= 50 for body in requests)
    assert len(requests) >= 3

    # Later runs within the TTL find everything fresh and ask for nothing.
    later = [start_child(proxy.url, tmp_path, keys, watch=True) for _ in range(2)]
    for result in map(child_result, later):
        assert all(e["cached"] and not e["stale"] for e in result["first"])
    assert len(proxy.prediction_requests()) == len(requests)


def test_stale_entry_is_served_while_down_and_replaced_once_back(
    proxy: CountingProxy,
    local_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TelemetryClient(config(proxy.url, tmp_path, prediction_cache_ttl_seconds=1.0)) as first:
        first.refresh_predictions_sync([query()])
        old = estimate(first)
    assert old.cached
    assert not old.stale
    assert old.input_tokens == 112340

    proxy.down()
    local_server.submit([event_payload(actual_input_tokens=200000) for _ in range(30)])
    new_median = local_server.predict(query_payload())[0]["prediction"]["input_tokens"]["median"]
    assert new_median != old.input_tokens
    time.sleep(1.1)  # past the TTL

    caplog.set_level(logging.INFO, "mosaicstack_telemetry")
    client = TelemetryClient(config(proxy.url, tmp_path, prediction_cache_ttl_seconds=1.0))
    try:
        stale = estimate(client)
        assert stale.cached
        assert stale.stale
        assert stale.input_tokens == old.input_tokens
        assert stale.age_seconds is not None
        assert stale.age_seconds >= 1.0
        served = client.get_prediction(query())
        assert served is not None
        assert served.prediction is not None
        assert served.prediction.input_tokens.median == old.input_tokens
        wait_until(lambda: "Could not refresh telemetry predictions" in caplog.text)
        # The failed refresh kept the entry.
        assert estimate(client).input_tokens == old.input_tokens

        proxy.up()
        wait_until(lambda: not estimate(client).stale)
        assert estimate(client).input_tokens == new_median
    finally:
        client.stop()
    # And it is persisted for the next process.
    with TelemetryClient(config(proxy.url, tmp_path, prediction_cache_ttl_seconds=3600.0)) as c:
        assert estimate(c).input_tokens == new_median


def _hanging_setup(proxy: CountingProxy, tmp_path: Path) -> None:
    with TelemetryClient(config(proxy.url, tmp_path, prediction_cache_ttl_seconds=0.5)) as c:
        c.refresh_predictions_sync([query()])
    time.sleep(0.6)
    proxy.hanging.set()


def test_nothing_blocks_while_the_server_hangs(proxy: CountingProxy, tmp_path: Path) -> None:
    _hanging_setup(proxy, tmp_path)
    before = len(proxy.bodies)
    options = {"prediction_cache_ttl_seconds": 0.5, "request_timeout_seconds": 2.0}
    client = TelemetryClient(config(proxy.url, tmp_path, **options))
    client.start()
    try:
        assert estimate(client).stale
        wait_until(lambda: len(proxy.bodies) > before)  # a refresh is now stuck at the server
        started = time.perf_counter()
        for _ in range(1000):
            found = estimate(client)
            client.get_prediction(query())
        elapsed = time.perf_counter() - started
        assert found.stale
        assert found.input_tokens == 112340
        assert elapsed < 2.0, f"1000 reads took {elapsed:.2f} s with the server hanging"
    finally:
        started = time.perf_counter()
        client.stop()
    # stop() waits for the hanging refresh no longer than its request timeout (plus slack).
    assert time.perf_counter() - started < 2.0 + 5.0


def test_nothing_blocks_the_event_loop_while_the_server_hangs(
    proxy: CountingProxy, tmp_path: Path
) -> None:
    _hanging_setup(proxy, tmp_path)
    before = len(proxy.bodies)
    options = {"prediction_cache_ttl_seconds": 0.5, "request_timeout_seconds": 2.0}

    names: set[str] = set()

    async def main() -> float:
        client = TelemetryClient(config(proxy.url, tmp_path, **options))
        await client.start_async()
        try:
            assert estimate(client).stale
            while len(proxy.bodies) == before:
                await asyncio.sleep(0.05)
            names.update(t.name for t in threading.enumerate())
            started = time.perf_counter()
            for _ in range(100):
                assert estimate(client).input_tokens == 112340
                await asyncio.sleep(0)  # the refresh task runs between these
            return time.perf_counter() - started
        finally:
            await asyncio.wait_for(client.stop_async(), timeout=2.0 + 5.0)

    assert asyncio.run(asyncio.wait_for(main(), timeout=60)) < 2.0
    # The asyncio task is the one stuck at the server: no prediction thread was started.
    assert "mosaicstack-telemetry-predictions" not in names
    assert names


async def test_watch_with_start_async_refreshes_on_the_event_loop(
    proxy: CountingProxy, tmp_path: Path
) -> None:
    client = TelemetryClient(config(proxy.url, tmp_path))
    await client.start_async()
    try:
        client.watch_predictions([query()])
        deadline = time.monotonic() + 30
        while not estimate(client).cached:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        threads = {t.name for t in threading.enumerate()}
        assert "mosaicstack-telemetry-predictions" not in threads
    finally:
        await client.stop_async()
    assert estimate(client).input_tokens == 112340
    assert proxy.prediction_queries()[QUERY] == 1


def test_a_corrupt_cache_file_is_ignored_with_a_warning(
    proxy: CountingProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = store_path(tmp_path, proxy.url, INSTANCE_ID)
    path.write_bytes(b"this is not a database, it is a cache file that went wrong " * 50)
    caplog.set_level(logging.WARNING, "mosaicstack_telemetry")
    with TelemetryClient(config(proxy.url, tmp_path)) as client:
        assert not estimate(client).cached  # a miss, not an exception
        wait_until(lambda: estimate(client).cached)
    assert "is corrupt" in caplog.text
    # A new file replaced it: the next process reads the answer from disk.
    with TelemetryClient(config("http://127.0.0.1:9", tmp_path)) as other:
        assert not estimate(other).cached  # another server: another file
    with TelemetryClient(config(proxy.url, tmp_path)) as again:
        assert estimate(again).input_tokens == 112340
    assert proxy.prediction_queries()[QUERY] == 1


def test_without_persistence_get_prediction_is_unchanged_and_estimate_refreshes(
    proxy: CountingProxy,
) -> None:
    client = TelemetryClient(config(proxy.url, None, prediction_cache_ttl_seconds=1.0))
    try:
        # As documented: get_prediction() only reads the cache, and never asks the server.
        assert client.get_prediction(query()) is None
        time.sleep(0.3)
        assert proxy.prediction_requests() == []
        # estimate() schedules a refresh on a miss, even before start().
        assert not estimate(client).cached
        wait_until(lambda: estimate(client).cached)
        assert client.get_prediction(query()) is not None
        time.sleep(1.1)
        # Past the TTL: get_prediction() says None as before; estimate() serves it, flagged.
        assert client.get_prediction(query()) is None
        assert estimate(client).stale
    finally:
        client.stop()


def test_refresh_failures_honour_retry_after(fault_server: Any, tmp_path: Path) -> None:
    from tests.fault_server import Reply

    fault_server.script(Reply(status=429, headers={"Retry-After": "2"}))
    client = TelemetryClient(config(fault_server.url, tmp_path))
    try:
        client.watch_predictions([query()])
        predictions = lambda: [r for r in fault_server.requests if "predictions" in r.path]  # noqa: E731
        wait_until(lambda: len(predictions()) >= 2)
        first, second = predictions()[:2]
        assert second.received_at - first.received_at >= 1.9
        wait_until(lambda: estimate(client).cached)
    finally:
        client.stop()


@pytest.mark.parametrize("ttl", [0.0, -5.0, float("nan"), float("inf")])
def test_odd_ttls_neither_spin_nor_crash_the_refresher(proxy: CountingProxy, ttl: float) -> None:
    client = TelemetryClient(config(proxy.url, None, prediction_cache_ttl_seconds=ttl))
    try:
        client.watch_predictions([query()])
        wait_until(lambda: len(proxy.prediction_requests()) >= 1)
        time.sleep(2.5)
        # At most one fetch a second, whatever the TTL, and the refresher is still alive.
        assert len(proxy.prediction_requests()) <= 4
        assert client._refresh_driver is not None
        assert client._refresh_driver.alive
    finally:
        client.stop()


def test_watch_skips_what_is_not_a_query(
    proxy: CountingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    client = TelemetryClient(config(proxy.url, None))
    try:
        client.watch_predictions([{"task_type": "testing"}, query()])  # type: ignore[list-item]
        wait_until(lambda: estimate(client).cached)
        assert "expects PredictionQuery items, got dict" in caplog.text
    finally:
        client.stop()


def test_llm_task_estimates_come_from_the_persisted_cache(
    proxy: CountingProxy, local_server: LocalServer, tmp_path: Path
) -> None:
    from tests import llm_recordings as rec
    from tests.llm_helpers import delivered

    key = ("implementation", rec.CLAUDE, "anthropic", "medium")
    (answer,) = local_server.predict(query_payload(model=rec.CLAUDE))
    with TelemetryClient(config(proxy.url, tmp_path)) as earlier_run:
        earlier_run.refresh_predictions_sync([query(key)])
    asked = len(proxy.prediction_requests())

    # A new process's first task: the estimate comes from the file, nothing is asked.
    client = TelemetryClient(config(proxy.url, tmp_path))
    client.start()
    with client.llm_task(task_type="implementation", complexity="medium") as task:
        task.record(rec.anthropic_message({"input_tokens": 100, "output_tokens": 50}))
    (event,) = [e for e in delivered(client, local_server) if e["model"] == rec.CLAUDE][-1:]
    assert event["estimated_input_tokens"] == answer["prediction"]["input_tokens"]["median"]
    assert event["estimated_cost_usd_micros"] == answer["prediction"]["cost_usd_micros"]["median"]
    assert len(proxy.prediction_requests()) == asked


FORK = r"""
import json, os, sys, time
import mosaicstack_telemetry as mt

opts = json.loads(sys.argv[1])
config = mt.TelemetryConfig(
    server_url=opts["url"], api_key=opts["api_key"], instance_id=opts["instance_id"],
    prediction_cache_dir=opts["cache_dir"], submit_interval_seconds=3600.0, max_retries=0,
)
dims = dict(task_type="testing", model="fork-model", provider="openai", complexity="low")
client = mt.TelemetryClient(config)
client.start()
client.watch_predictions([mt.PredictionQuery(**dims)])
deadline = time.monotonic() + 30
while not client.estimate(**dims).cached:
    assert time.monotonic() < deadline
    time.sleep(0.02)
pid = os.fork()
if pid == 0:
    # The parent's refresher thread did not follow; reads and a new refresh still work.
    ok = client.estimate(**dims).cached
    other = dict(dims, model="fork-child-model")
    client.estimate(**other)
    deadline = time.monotonic() + 30
    while not client.estimate(**other).cached and time.monotonic() < deadline:
        time.sleep(0.02)
    ok = ok and client.estimate(**other).cached
    client.stop()
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
client.stop()
print(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_fork_child_reads_and_refreshes_predictions(proxy: CountingProxy, tmp_path: Path) -> None:
    opts = {
        "url": proxy.url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "cache_dir": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", FORK, json.dumps(opts)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "0", out.stderr
    assert proxy.prediction_queries()[("testing", "fork-child-model", "openai", "low")] == 1
