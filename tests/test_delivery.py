"""The one retry policy and the sans-I/O delivery logic, driven step by step with exact waits.

No network and no sleeping: each test plays the driver, answering every Send with a response or
an exception and recording every Wait, on a fake clock that a Wait (or a slow send) advances.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mosaicstack_telemetry import BatchEventResponse, EventBuilder, EventQueue
from mosaicstack_telemetry._delivery import (
    Delivery,
    DeliveryStats,
    FlushResult,
    Send,
    Steps,
    Wait,
)
from mosaicstack_telemetry._errors import ApiError
from mosaicstack_telemetry._retry import Action, RetryPolicy
from tests.factories import INSTANCE_ID

URL = "http://127.0.0.1:9/v1/events/batch"


def policy(rand: float = 0.0, **kw: Any) -> RetryPolicy:
    return RetryPolicy(random=lambda: rand, **kw)


def _ok(send: Send) -> BatchEventResponse:
    results = [{"event_id": str(e.event_id), "status": "accepted"} for e in send.batch.events]
    return BatchEventResponse(accepted=len(results), rejected=0, results=results)  # type: ignore[arg-type]


class Harness:
    """A queue with n events, a Delivery over it, and a driver that replays scripted answers."""

    def __init__(self, n: int, *, batch_size: int = 100, dry_run: bool = False, **kw: Any):
        self.queue = EventQueue(max_size=1000)
        builder = EventBuilder(INSTANCE_ID)
        self.events = [builder.duration_ms(i).build() for i in range(n)]
        for event in self.events:
            self.queue.put(event)
        self.stats = DeliveryStats()
        self.now = 1000.0
        self.wall = 1_800_000_000.0
        self.delivery = Delivery(
            self.queue,
            kw.pop("policy", policy()),
            self.stats,
            batch_size=batch_size,
            target_url=URL,
            dry_run=dry_run,
            clock=lambda: self.now,
            wall_clock=lambda: self.wall,
            **kw,
        )
        self.waits: list[float] = []
        self.sent: list[int] = []
        self.timeouts: list[float] = []
        self.sent_at: list[float] = []
        self.result: FlushResult | None = None

    def run(
        self,
        *answers: BaseException | str | Callable[[Send], Any],
        deadline: float | None = None,
        limit: int | None = None,
        send_takes: float = 0.0,
    ) -> None:
        """Answer Sends in order ("ok" = accept all); once answers run out, accept all."""
        script = list(answers)
        steps: Steps = self.delivery.flush(deadline=deadline, limit=limit)
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as done:
                self.result = done.value
                return
            if isinstance(step, Wait):
                self.waits.append(step.seconds)
                self.now += step.seconds
                reply = None
                continue
            self.sent.append(len(step.batch.events))
            self.timeouts.append(step.timeout)
            self.sent_at.append(self.now)
            self.now += send_takes
            answer = script.pop(0) if script else "ok"
            if callable(answer):
                answer = answer(step)
            reply = _ok(step) if answer == "ok" else answer


def api(status: int, retry_after: float | None = None, body: str = "") -> ApiError:
    return ApiError(status, f"status {status}", retry_after=retry_after, body=body)


def test_batches_of_at_most_batch_size_until_the_queue_is_empty() -> None:
    h = Harness(250)
    h.run()
    assert h.sent == [100, 100, 50]
    assert h.waits == []
    assert h.stats.delivered == 250
    assert h.stats.requests == 3
    assert h.queue.is_empty


def test_5xx_backs_off_exponentially_from_one_second() -> None:
    h = Harness(1)
    h.run(api(500), api(502), api(503))
    assert h.waits == [1.0, 2.0, 4.0]
    assert h.sent == [1, 1, 1, 1]
    assert h.stats.delivered == 1
    assert h.stats.retries == 3


def test_jitter_takes_off_at_most_ten_percent() -> None:
    h = Harness(1, policy=policy(rand=1.0))
    h.run(api(503), api(503))
    assert h.waits == pytest.approx([0.9, 1.8])


def test_backoff_is_capped_at_sixty_seconds() -> None:
    p = policy(max_retries=10)
    assert [p.backoff(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert p.backoff(1000) == 60.0


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        api(408),
        api(202),  # a 2xx whose body did not parse
    ],
)
def test_transient_errors_are_retried_with_backoff(error: BaseException) -> None:
    h = Harness(1)
    h.run(error)
    assert h.waits == [1.0]
    assert h.stats.delivered == 1


def test_429_honours_retry_after() -> None:
    h = Harness(1)
    h.run(api(429, retry_after=7.0))
    assert h.waits == [7.0]


def test_429_retry_after_is_capped_and_missing_falls_back_to_backoff() -> None:
    h = Harness(1)
    h.run(api(429, retry_after=86_400.0), api(429))
    assert h.waits == [300.0, 2.0]


def test_gives_up_after_max_retries_and_puts_the_batch_back_in_front(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(150)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        h.run(*[api(503)] * 4)
    assert h.waits == [1.0, 2.0, 4.0]
    assert h.sent == [100] * 4  # the cycle ends: the second batch is not tried
    assert h.stats.put_back == 100
    assert h.stats.delivered == 0
    drained = h.queue.drain(1000)
    assert drained == h.events  # put back in front, original order kept
    assert "re-queued for the next cycle" in caplog.text
    assert "gave up after 3 retries" in caplog.text


def test_max_retries_zero_means_one_attempt() -> None:
    h = Harness(1, policy=policy(max_retries=0))
    h.run(api(500))
    assert h.waits == []
    assert h.sent == [1]
    assert h.stats.put_back == 1


@pytest.mark.parametrize("status", [401, 403])
def test_unfixable_statuses_drop_the_batch_and_count_it(status: int) -> None:
    h = Harness(120)
    h.run(api(status), api(status))
    assert h.waits == []
    assert h.sent == [100, 20]
    assert h.stats.dropped == 120
    assert h.stats.delivered == 0
    assert h.queue.is_empty


def test_403_is_logged_once_as_a_configuration_error(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(300)
    with caplog.at_level(logging.DEBUG, logger="mosaicstack_telemetry"):
        h.run(api(403), api(403), api(403))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "check api_key and instance_id" in errors[0].getMessage()


@pytest.mark.parametrize("status", [400, 404, 409])
def test_other_4xx_are_not_retried_but_kept_for_the_next_cycle(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(3)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        h.run(ApiError(status, "server says no"))
    assert h.waits == []
    assert h.sent == [3]
    assert h.stats.put_back == 3
    assert h.queue.size == 3
    assert "server says no" in caplog.text


def test_unexpected_exception_keeps_the_events() -> None:
    h = Harness(2)
    h.run(ValueError("bug"))
    assert h.queue.size == 2
    assert h.stats.put_back == 2


def test_partial_success_counts_duplicates_as_delivered_and_logs_rejections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = Harness(3)
    ids = [str(e.event_id) for e in h.events]
    response = BatchEventResponse.model_validate(
        {
            "accepted": 1,
            "rejected": 2,
            "results": [
                {"event_id": ids[0], "status": "accepted"},
                {"event_id": ids[1], "status": "rejected", "error": "model: too long"},
                {"event_id": ids[2], "status": "rejected", "error": "duplicate event_id"},
            ],
        }
    )
    steps = h.delivery.flush()
    assert isinstance(next(steps), Send)
    with (
        caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"),
        pytest.raises(StopIteration),
    ):
        steps.send(response)
    assert (h.stats.delivered, h.stats.rejected, h.stats.duplicates) == (2, 1, 1)
    assert f"Telemetry event {ids[1]} rejected by server: model: too long" in caplog.text
    (record,) = [r for r in caplog.records if hasattr(r, "rejected_event_id")]
    assert (record.rejected_event_id, record.rejection_error) == (ids[1], "model: too long")
    assert "duplicate" not in caplog.text


def test_dry_run_sends_nothing_and_logs_each_batch(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(150, dry_run=True)
    with caplog.at_level(logging.INFO, logger="mosaicstack_telemetry"):
        h.run()
    assert h.sent == []
    assert h.stats.dry_run == 150
    assert [r.getMessage() for r in caplog.records] == [
        f"[DRY RUN] Would submit batch of 100 events to {URL}",
        f"[DRY RUN] Would submit batch of 50 events to {URL}",
    ]


def test_policy_decisions_name_their_action() -> None:
    p = policy()
    assert p.decide(api(503), 0) == p.decide(api(503), 0)
    assert p.decide(api(503), 0).action is Action.RETRY
    assert p.decide(api(503), 3).action is Action.KEEP
    assert p.decide(api(422), 0).action is Action.ISOLATE
    assert p.decide(api(413), 0).action is Action.ISOLATE
    assert p.decide(api(400), 0).action is Action.KEEP
    assert p.decide(httpx.ConnectTimeout("x"), 0).delay == 1.0
