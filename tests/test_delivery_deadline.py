"""The delivery core under a deadline, abandonment, bad-event isolation and refusal limits.

Sans-I/O, like test_delivery.py: the test plays the driver on a fake clock, so every wait, every
per-request timeout and every put-back is checked exactly.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import httpx
import pytest

from mosaicstack_telemetry import EventBuilder
from mosaicstack_telemetry._delivery import Send, Wait
from mosaicstack_telemetry._errors import ApiError, DeadlineExceeded
from tests.factories import INSTANCE_ID
from tests.test_delivery import Harness, _ok, api, policy

OTHER_INSTANCE = "11111111-2222-4333-8444-555555555555"


def test_retry_after_is_waited_for_when_the_deadline_allows_it() -> None:
    h = Harness(3)
    start = h.now
    h.run(api(429, retry_after=2.0), deadline=start + 5.0)
    assert h.waits == [2.0]
    assert h.sent_at == [start, start + 2.0]
    assert h.stats.delivered == 3


def test_a_wait_past_the_deadline_is_not_started_and_the_batch_stays_queued() -> None:
    h = Harness(3)
    start = h.now
    h.run(api(429, retry_after=7.0), deadline=start + 5.0)
    assert h.sent == [3]  # no second request: the Retry-After has not expired
    assert h.waits == []
    assert h.queue.drain(10) == h.events
    assert h.stats.put_back == 3
    assert h.result is not None
    assert (h.result.delivered, h.result.queued) == (0, 3)


def test_retry_after_binds_later_flushes_too() -> None:
    # The background cycle got a 429 and gave up (max_retries=0); a flush 1 s later must wait
    # out the rest of the Retry-After, or not send at all if its deadline comes first.
    h = Harness(2, policy=policy(max_retries=0))
    h.run(api(429, retry_after=10.0))
    assert h.sent == [2]
    h.now += 1.0
    h.run(deadline=h.now + 5.0)
    assert h.sent == [2]  # nothing sent: 9 s left to wait, 5 s of deadline
    h.run(deadline=h.now + 20.0)
    assert h.waits == [pytest.approx(9.0)]
    assert h.sent == [2, 2]
    assert h.stats.delivered == 2


def test_stop_deadline_set_during_a_wait_ends_the_flush_without_sending() -> None:
    h = Harness(1, policy=policy(base_delay=30.0))
    steps = h.delivery.flush()
    assert isinstance(next(steps), Send)
    wait = steps.send(httpx.ConnectError("down"))
    assert isinstance(wait, Wait)
    assert wait.seconds == 30.0
    # stop(timeout=5) arrives; the driver's wait returns early.
    h.delivery.stop_by(h.now + 5.0)
    with pytest.raises(StopIteration):
        steps.send(None)
    assert h.queue.size == 1
    assert h.stats.requests == 1


def test_each_request_gets_at_most_the_time_left() -> None:
    h = Harness(1, request_timeout=10.0)
    start = h.now
    h.run(api(500), deadline=start + 3.0, send_takes=1.0)
    # Sent at 0 with 3 s left, failed after 1 s, backed off 1 s, sent again with 1 s left.
    assert h.timeouts == [3.0, 1.0]
    assert h.sent_at == [start, start + 2.0]


def test_no_request_once_the_deadline_has_passed() -> None:
    h = Harness(150)
    h.run(deadline=h.now)
    assert h.sent == []
    assert h.queue.size == 150


def test_the_deadline_bounds_the_number_of_requests_whatever_max_retries() -> None:
    h = Harness(1, policy=policy(max_retries=1000))
    h.run(*[httpx.ConnectError("down")] * 1000, deadline=h.now + 10.0)
    # Sends at 0, 1, 3 and 7 s; the next 8 s backoff would end past 10 s.
    assert h.waits == [1.0, 2.0, 4.0]
    assert len(h.sent) == 4
    assert h.queue.size == 1


def test_a_request_out_of_time_is_retried_like_a_timeout() -> None:
    h = Harness(1)
    h.run(DeadlineExceeded("no answer"))
    assert h.waits == [1.0]
    assert h.stats.delivered == 1


def test_abandon_puts_the_held_batch_back_once_and_ignores_the_late_answer() -> None:
    h = Harness(150)
    steps = h.delivery.flush()
    send = next(steps)
    assert isinstance(send, Send)
    assert h.queue.size == 50
    assert h.delivery.held == 100
    assert h.delivery.abandon() == 100
    assert h.queue.drain(1000) == h.events  # back in front, order kept
    with pytest.raises(StopIteration):
        steps.send(_ok(send))  # the late success is not counted: the events are queued again
    assert h.stats.delivered == 0
    assert (h.stats.abandoned, h.stats.put_back) == (100, 100)
    assert h.delivery.held == 0


def test_closing_a_flush_mid_request_puts_its_batch_back() -> None:
    # What a cancelled asyncio task does: the driver closes the generator.
    h = Harness(5)
    steps = h.delivery.flush()
    next(steps)
    steps.close()
    assert h.queue.size == 5
    assert h.stats.abandoned == 5


def test_flush_takes_at_most_its_limit() -> None:
    h = Harness(250)
    h.run(limit=150)
    assert h.sent == [100, 50]
    assert h.queue.size == 100


def _detail(*indexes: int) -> str:
    return json.dumps(
        {"detail": [{"loc": ["body", "events", i, "model"], "msg": "bad"} for i in indexes]}
    )


def test_422_naming_events_drops_only_those_and_sends_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(100)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        h.run(api(422, body=_detail(3, 40)))
    assert h.sent == [100, 98]
    assert (h.stats.isolated, h.stats.delivered) == (2, 98)
    assert str(h.events[3].event_id) in caplog.text
    assert str(h.events[40].event_id) in caplog.text
    assert h.result is not None
    assert (h.result.delivered, h.result.dropped) == (98, 2)


def test_422_about_the_request_as_a_whole_drops_the_batch() -> None:
    h = Harness(4)
    h.run(api(422, body=json.dumps({"detail": [{"loc": ["body"], "msg": "not an object"}]})))
    assert (h.stats.dropped, h.stats.isolated, h.stats.delivered) == (4, 0, 0)


def test_413_splits_until_the_bad_event_is_alone() -> None:
    h = Harness(8)
    bad = h.events[5].event_id

    def too_large_if_bad(send: Send) -> object:
        return api(413) if any(e.event_id == bad for e in send.batch.events) else "ok"

    h.run(*[too_large_if_bad] * 20)
    # 8 refused; [0-3] ok, [4-7] refused; [4-5] refused, [4] ok, [5] refused alone; [6-7] ok.
    assert h.sent == [8, 4, 4, 2, 1, 1, 2]
    assert (h.stats.isolated, h.stats.delivered) == (1, 7)
    assert h.queue.is_empty


def test_403_for_a_foreign_instance_drops_that_instance_only() -> None:
    h = Harness(0)
    builder = EventBuilder(INSTANCE_ID)
    events = [builder.duration_ms(i).build() for i in range(5)]
    foreign = EventBuilder(OTHER_INSTANCE).build()
    for event in [*events[:2], foreign, *events[2:]]:
        h.queue.put(event)
    message = f"events[2].instance_id {OTHER_INSTANCE} is not the instance this API key belongs to"
    h.run(ApiError(403, message))
    assert h.sent == [6, 5]
    assert (h.stats.isolated, h.stats.delivered, h.stats.dropped) == (1, 5, 0)


def test_same_refusal_three_cycles_in_a_row_drops_the_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(120)
    with caplog.at_level(logging.ERROR, logger="mosaicstack_telemetry"):
        h.run(api(404))
        h.run(api(404))
        assert (h.queue.size, h.stats.dropped_refused) == (120, 0)
        h.run(api(404))  # the third: dropped, and the queue moves on
    assert h.sent == [100, 100, 100, 20]
    assert (h.stats.dropped_refused, h.stats.delivered) == (100, 20)
    assert "refused 3 times in a row" in caplog.text


def test_a_different_status_restarts_the_refusal_count() -> None:
    h = Harness(1)
    h.run(api(404))
    h.run(api(400))
    h.run(api(404))
    assert h.stats.dropped_refused == 0
    assert h.queue.size == 1


def test_events_older_than_the_maximum_age_are_dropped_and_counted() -> None:
    h = Harness(0, max_event_age=3600.0)
    old = datetime.fromtimestamp(h.wall - 7200, tz=timezone.utc)
    builder = EventBuilder(INSTANCE_ID)
    fresh = builder.timestamp(datetime.fromtimestamp(h.wall - 60, tz=timezone.utc)).build()
    h.queue.put(EventBuilder(INSTANCE_ID).timestamp(old).build())
    h.queue.put(fresh)
    h.run()
    assert h.sent == [1]
    assert (h.stats.dropped_stale, h.stats.delivered) == (1, 1)


def test_retries_exhausted_still_honour_the_last_wait() -> None:
    h = Harness(1, policy=policy(max_retries=0))
    h.run(api(503))
    h.run(deadline=h.now + 0.5)  # the 1 s backoff has not run out
    assert h.sent == [1]
    h.now += 1.0
    h.run()
    assert h.sent == [1, 1]
