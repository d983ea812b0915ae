"""PredictionRefresher's decisions, driven by hand with a fake clock (it does no I/O itself)."""

from __future__ import annotations

import httpx

from mosaicstack_telemetry._cache import PredictionCache
from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._generated.models import (
    PredictionBatchRequest,
    PredictionBatchResponse,
    PredictionQuery,
    PredictionResponse,
)
from mosaicstack_telemetry._prediction_refresh import PredictionRefresher
from mosaicstack_telemetry._retry import RetryPolicy

NO_DATA = {
    "prediction": None,
    "metadata": {
        "sample_size": 0,
        "fallback_level": -1,
        "confidence": "none",
        "last_updated": None,
        "dimensions_matched": None,
        "fallback_note": None,
        "cache_hit": False,
    },
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _queries(n: int) -> list[PredictionQuery]:
    return [
        PredictionQuery(task_type="testing", model=f"m{i}", provider="openai", complexity="low")
        for i in range(n)
    ]


def _answer(batch: PredictionBatchRequest) -> PredictionBatchResponse:
    return PredictionBatchResponse.model_validate({"results": [NO_DATA for _ in batch.queries]})


def _setup(ttl: float = 60.0) -> tuple[Clock, PredictionCache, PredictionRefresher]:
    clock = Clock()
    cache = PredictionCache(ttl, clock, max_stale_seconds=600.0)
    # No jitter, so the waits are exact.
    policy = RetryPolicy(max_retries=10**9, random=lambda: 0.0)
    return clock, cache, PredictionRefresher(cache, clock, policy=policy)


def _run(refresher: PredictionRefresher, reply: object) -> list[PredictionBatchRequest]:
    """One cycle; every request is answered by reply (a function of the batch, or an error)."""
    sent = []
    cycle = refresher.cycle()
    try:
        batch = next(cycle)
        while True:
            sent.append(batch)
            answer = reply(batch) if callable(reply) else reply
            batch = cycle.send(answer)  # type: ignore[arg-type]
    except StopIteration:
        return sent


def test_watched_queries_go_out_50_a_request_and_once_per_ttl() -> None:
    clock, cache, refresher = _setup()
    queries = _queries(120)
    refresher.watch(queries)
    assert refresher.seconds_until_due() == 0.0
    sent = _run(refresher, _answer)
    assert [len(b.queries) for b in sent] == [50, 50, 20]
    assert [q for b in sent for q in b.queries] == queries
    assert all(cache.get(q) == PredictionResponse.model_validate(NO_DATA) for q in queries)

    clock.now += 59.0
    assert _run(refresher, _answer) == []  # fresh: nothing to send
    assert refresher.seconds_until_due() == 1.0
    clock.now += 1.0
    assert sum(len(b.queries) for b in _run(refresher, _answer)) == 120


def test_a_failure_keeps_the_entry_and_backs_off_exponentially() -> None:
    clock, cache, refresher = _setup()
    (query,) = _queries(1)
    refresher.watch([query])
    _run(refresher, _answer)
    clock.now += 60.0
    down = httpx.ConnectError("refused")
    for wait in (1.0, 2.0, 4.0, 8.0):
        assert len(_run(refresher, down)) == 1
        found = cache.lookup(("testing", "m0", "openai", "low"))
        assert found is not None
        assert found.stale  # still served
        assert refresher.seconds_until_due() == wait
        clock.now += wait - 0.5
        assert _run(refresher, down) == []  # not before the backoff ends
        clock.now += 0.5
    assert len(_run(refresher, _answer)) == 1
    clock.now += 1.0
    assert _run(refresher, down) == []  # fresh again; the failures were forgotten


def test_retry_after_is_honoured_and_a_refusal_waits_a_ttl() -> None:
    clock, _, refresher = _setup(ttl=600.0)
    refresher.watch(_queries(1))
    _run(refresher, ApiError(429, "slow down", retry_after=42.0))
    assert refresher.seconds_until_due() == 42.0
    clock.now += 42.0
    _run(refresher, ApiError(403, "unknown key"))
    assert refresher.seconds_until_due() == 600.0


def test_a_requested_query_is_fetched_once_then_forgotten() -> None:
    clock, _, refresher = _setup()
    (query,) = _queries(1)
    key = ("testing", "m0", "openai", "low")
    assert refresher.request(key, lambda: query)
    assert not refresher.request(key, lambda: query)  # already wanted
    assert len(_run(refresher, _answer)) == 1
    assert refresher.wanted == 0
    assert refresher.seconds_until_due() is None  # nothing left to do
    clock.now += 3600.0
    assert _run(refresher, _answer) == []


def test_a_short_answer_caches_the_matches() -> None:
    _, cache, refresher = _setup()
    refresher.watch(_queries(3))
    _run(refresher, PredictionBatchResponse.model_validate({"results": [NO_DATA]}))
    assert cache.size == 1
