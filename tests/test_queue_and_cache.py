"""EventQueue (bounded FIFO, eviction, put_back) and PredictionCache (TTL, keys)."""

from __future__ import annotations

import logging
import threading

import pytest

from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    EventQueue,
    PredictionCache,
    PredictionQuery,
    PredictionResponse,
    Provider,
    TaskCompletionEvent,
    TaskType,
)
from mosaicstack_telemetry._cache import cache_key
from tests.factories import INSTANCE_ID


def _events(n: int) -> list[TaskCompletionEvent]:
    builder = EventBuilder(INSTANCE_ID)
    return [builder.duration_ms(i).build() for i in range(n)]


def _ids(events: list[TaskCompletionEvent]) -> list[int]:
    return [e.task_duration_ms for e in events]


def test_fifo_drain_in_batches() -> None:
    queue = EventQueue(max_size=10)
    assert queue.is_empty
    assert queue.size == 0
    for event in _events(5):
        queue.put(event)
    assert queue.size == 5
    assert not queue.is_empty
    assert _ids(queue.drain(3)) == [0, 1, 2]
    assert _ids(queue.drain(3)) == [3, 4]
    assert queue.drain(3) == []
    assert queue.is_empty


def test_full_queue_evicts_oldest_counts_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    queue = EventQueue(max_size=3)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        for event in _events(6):
            queue.put(event)
    assert _ids(queue.drain(10)) == [3, 4, 5]
    assert queue.evicted == 3
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["Telemetry queue is full (max_queue_size=3): evicting the oldest events"]


def test_put_back_goes_to_the_front_in_order() -> None:
    queue = EventQueue(max_size=10)
    events = _events(5)
    for event in events[3:]:
        queue.put(event)
    queue.put_back(events[:3])
    assert _ids(queue.drain(10)) == [0, 1, 2, 3, 4]
    assert queue.evicted == 0


def test_put_back_never_exceeds_capacity_and_evicts_the_oldest() -> None:
    queue = EventQueue(max_size=4)
    events = _events(6)
    for event in events[4:]:  # 2 newer events already queued
        queue.put(event)
    queue.put_back(events[:4])  # only 2 fit: the 2 oldest go
    assert queue.size == 4
    assert _ids(queue.drain(10)) == [2, 3, 4, 5]
    assert queue.evicted == 2


def test_threshold_callback_fires_when_a_batch_is_full() -> None:
    queue = EventQueue(max_size=10)
    fired: list[int] = []
    queue.threshold = 3
    queue.on_threshold = lambda: fired.append(queue.size)
    for event in _events(5):
        queue.put(event)
    assert fired == [3]


def test_concurrent_puts_lose_nothing() -> None:
    queue = EventQueue(max_size=100_000)
    events = _events(100)

    def produce() -> None:
        for _ in range(50):
            for event in events:
                queue.put(event)

    threads = [threading.Thread(target=produce) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert queue.size == 8 * 50 * 100
    assert queue.evicted == 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _query(model: str = "claude-sonnet-4-5-20250929") -> PredictionQuery:
    return PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model=model,
        provider=Provider.ANTHROPIC,
        complexity=Complexity.MEDIUM,
    )


def _response(sample_size: int) -> PredictionResponse:
    return PredictionResponse.model_validate(
        {
            "prediction": None,
            "metadata": {"sample_size": sample_size, "fallback_level": -1, "confidence": "none"},
        }
    )


def test_cache_hit_until_ttl_then_expired_and_removed() -> None:
    clock = FakeClock()
    cache = PredictionCache(ttl_seconds=60.0, clock=clock)
    response = _response(5)
    cache.put(_query(), response)
    assert cache.get(_query()) is response  # an equal query, another object
    clock.now += 59.999
    assert cache.get(_query()) is response
    clock.now += 0.001
    assert cache.get(_query()) is None
    assert cache.size == 0


def test_cache_size_counts_expired_entries_until_read() -> None:
    clock = FakeClock()
    cache = PredictionCache(ttl_seconds=1.0, clock=clock)
    cache.put(_query("a"), _response(1))
    cache.put(_query("b"), _response(2))
    clock.now += 5
    assert cache.size == 2
    assert cache.get(_query("a")) is None
    assert cache.size == 1
    cache.clear()
    assert cache.size == 0


def test_cache_default_ttl_is_six_hours() -> None:
    clock = FakeClock()
    cache = PredictionCache(clock=clock)
    cache.put(_query(), _response(1))
    clock.now += 21599
    assert cache.get(_query()) is not None
    clock.now += 1
    assert cache.get(_query()) is None


def test_cache_keys_use_enum_values_and_separate_dimensions() -> None:
    assert cache_key(_query()) == (
        "implementation",
        "claude-sonnet-4-5-20250929",
        "anthropic",
        "medium",
    )
    cache = PredictionCache()
    cache.put(_query("a"), _response(1))
    other = _query("a").model_copy(update={"complexity": Complexity.HIGH})
    assert cache.get(other) is None
    assert cache.get(_query("a")) is not None


def test_threshold_signals_once_per_fill_up_and_again_after_a_drain() -> None:
    queue = EventQueue(max_size=10)
    fired: list[int] = []
    queue.threshold = 2
    queue.on_threshold = lambda: fired.append(queue.size)
    events = _events(6)
    for event in events[:4]:
        queue.put(event)
    assert fired == [2]  # not again at 3 and 4
    queue.drain(1)  # the worker took a batch: the next fill-up signals again
    queue.put(events[4])
    assert fired == [2, 4]


def test_threshold_without_a_listener_does_not_swallow_the_signal() -> None:
    queue = EventQueue(max_size=10)
    queue.threshold = 2
    for event in _events(3):
        queue.put(event)
    fired: list[int] = []
    queue.on_threshold = lambda: fired.append(queue.size)
    queue.put(_events(1)[0])
    assert fired == [4]
