"""Delivery: how queued events reach the server, as a sans-I/O generator both drivers run.

`Delivery.flush()` drains the queue in batches and yields what to do next: `Send(batch)` (the
driver sends it and passes back the response or the exception) or `Wait(seconds)` (the driver
sleeps, interruptibly). Every send/retry/put-back decision lives here, once, for the thread and
the asyncio driver alike, and can be tested without a network or a clock.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass

from ._generated.models import BatchEventRequest, BatchEventResponse
from ._models import TaskCompletionEvent
from ._queue import EventQueue
from ._retry import Action, RetryPolicy
from ._visible_log import asked_for_level

logger = logging.getLogger("mosaicstack_telemetry")


@dataclass(frozen=True)
class Send:
    """Send this batch; reply with the BatchEventResponse or the exception raised."""

    batch: BatchEventRequest


@dataclass(frozen=True)
class Wait:
    """Sleep this many seconds (or less, when stopping); reply with None."""

    seconds: float


Step = Send | Wait
Reply = BatchEventResponse | BaseException | None
Steps = Generator[Step, Reply, None]


@dataclass
class DeliveryStats:
    """Counters of what happened to tracked events: `client.stats` (docs/usage.md lists them)."""

    requests: int = 0
    delivered: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped: int = 0
    put_back: int = 0
    retries: int = 0
    dry_run: int = 0
    evicted: int = 0
    invalid: int = 0
    unsent_at_exit: int = 0
    unknown_models: int = 0  # LLM calls priced 0 for want of a price (mosaicstack_telemetry.llm)
    clamped: int = 0  # LLM task values above the schema maxima, sent as the maximum


def _not_delivered(outcome: str, reason: str) -> dict[str, str]:
    # Structured fields on the log record, so tools (the CLI's `send`) need not parse the text.
    return {"not_delivered": outcome, "not_delivered_reason": reason}


class Delivery:
    """Batches, sends, retries and re-queues events; performs no I/O itself."""

    def __init__(
        self,
        queue: EventQueue,
        policy: RetryPolicy,
        stats: DeliveryStats,
        *,
        batch_size: int,
        target_url: str,
        dry_run: bool = False,
    ) -> None:
        self._queue = queue
        self._policy = policy
        self._stats = stats
        self._batch_size = min(100, max(1, batch_size))
        self._target_url = target_url
        self._dry_run = dry_run
        self._forbidden_logged = False

    def flush(self) -> Steps:
        """Send batches until the queue is empty or a batch had to be put back."""
        while True:
            events = self._queue.drain(self._batch_size)
            if not events:
                return
            if self._dry_run:
                logger.log(
                    asked_for_level(logger),
                    "[DRY RUN] Would submit batch of %d events to %s",
                    len(events),
                    self._target_url,
                )
                self._stats.dry_run += len(events)
                continue
            kept = yield from self._deliver(events)
            if kept:
                # The server is unwell: stop this cycle, the next one tries again.
                return

    def _deliver(self, events: list[TaskCompletionEvent]) -> Generator[Step, Reply, bool]:
        """Send one batch with retries; True if it was put back on the queue."""
        batch = BatchEventRequest(events=events)
        retries = 0
        while True:
            self._stats.requests += 1
            reply = yield Send(batch)
            if isinstance(reply, BatchEventResponse):
                self._account(events, reply)
                return False
            if reply is None:
                reply = RuntimeError("driver returned no reply")
            decision = self._policy.decide(reply, retries)
            if decision.action is Action.RETRY:
                logger.info(
                    "Telemetry batch of %d events failed (%s); retrying in %.1f s",
                    len(events),
                    decision.reason,
                    decision.delay,
                )
                self._stats.retries += 1
                retries += 1
                yield Wait(decision.delay)
            elif decision.action is Action.DROP:
                self._log_drop(len(events), decision.reason, forbidden=reply)
                self._stats.dropped += len(events)
                return False
            else:
                logger.warning(
                    "Telemetry batch of %d events not delivered (%s); re-queued for the next cycle",
                    len(events),
                    decision.reason,
                    extra=_not_delivered("kept", decision.reason),
                )
                self._queue.put_back(events)
                self._stats.put_back += len(events)
                return True

    def _log_drop(self, count: int, reason: str, forbidden: BaseException) -> None:
        if getattr(forbidden, "status_code", None) == 403:
            # A configuration error: say it loudly once, not once per batch.
            level = logging.DEBUG if self._forbidden_logged else logging.ERROR
            self._forbidden_logged = True
            logger.log(
                level,
                "Telemetry server refused the API key or instance_id (%s): check api_key and "
                "instance_id; dropped batch of %d events",
                reason,
                count,
                extra=_not_delivered("refused", reason),
            )
            return
        logger.error(
            "Telemetry batch of %d events dropped, not retryable (%s)",
            count,
            reason,
            extra=_not_delivered("dropped", reason),
        )

    def _account(self, events: list[TaskCompletionEvent], response: BatchEventResponse) -> None:
        rejected = duplicates = 0
        for result in response.results:
            if result.status != "rejected":
                continue
            error = result.error or ""
            if error.lower().startswith("duplicate"):
                duplicates += 1
                continue
            rejected += 1
            # Structured too, so tools (the CLI's `send`) need not parse the message text.
            logger.warning(
                "Telemetry event %s rejected by server: %s",
                result.event_id,
                error,
                extra={"rejected_event_id": str(result.event_id), "rejection_error": error},
            )
        if not response.results and response.rejected:
            # A server that reports counts without per-event results.
            rejected = min(len(events), response.rejected)
            logger.warning("Telemetry server rejected %d events (no details given)", rejected)
        self._stats.rejected += rejected
        self._stats.duplicates += duplicates
        self._stats.delivered += len(events) - rejected
