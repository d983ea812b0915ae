"""Delivery: how queued events reach the server, as a sans-I/O generator every driver runs.

`Delivery.flush()` drains the queue in batches and yields what to do next: `Send(batch, timeout)`
(the driver sends it, bounded in total by `timeout`, and passes back the response or the exception)
or `Wait(seconds)` (the driver sleeps, and may wake early). Every send/wait/put-back/drop decision
lives here, once, for the thread driver, the asyncio driver and `flush()` alike, and can be tested
without a network or a clock: time is read only through the injected clocks. docs/lifecycle.md
describes the rules.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from uuid import UUID

from ._generated.models import BatchEventRequest, BatchEventResponse
from ._models import TaskCompletionEvent
from ._queue import EventQueue
from ._retry import Action, Decision, RetryPolicy
from ._visible_log import asked_for_level

logger = logging.getLogger("mosaicstack_telemetry")

# A batch refused with the same non-retryable status this many cycles in a row is dropped.
REFUSALS_BEFORE_DROP = 3


@dataclass(frozen=True)
class Send:
    """Send this batch, the whole request within `timeout` seconds; reply with the response or
    the exception raised (`DeadlineExceeded` when the time ran out)."""

    batch: BatchEventRequest
    timeout: float


@dataclass(frozen=True)
class Wait:
    """Sleep at most this many seconds (waking early is fine: time is re-read); reply None."""

    seconds: float


@dataclass
class FlushResult:
    """What one flush did: events delivered, events dropped (any counted reason), events still
    queued when it returned."""

    delivered: int = 0
    dropped: int = 0
    queued: int = 0


Step = Send | Wait
Reply = BatchEventResponse | BaseException | None
Steps = Generator[Step, Reply, FlushResult]


@dataclass
class DeliveryStats:
    """Counters of what happened to tracked events (docs/lifecycle.md lists each one)."""

    requests: int = 0
    delivered: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped: int = 0
    isolated: int = 0
    dropped_refused: int = 0
    dropped_stale: int = 0
    put_back: int = 0
    abandoned: int = 0
    retries: int = 0
    dry_run: int = 0
    evicted: int = 0
    invalid: int = 0
    spooled: int = 0
    unspooled: int = 0
    spool_dropped: int = 0
    unsent_at_exit: int = 0
    unknown_models: int = 0  # LLM calls priced 0 for want of a price (mosaicstack_telemetry.llm)
    clamped: int = 0  # LLM task values above the schema maxima, sent as the maximum


def _not_delivered(outcome: str, reason: str) -> dict[str, str]:
    # Structured fields on the log record, so tools (the CLI's `send`) need not parse the text.
    return {"not_delivered": outcome, "not_delivered_reason": reason}


@dataclass(eq=False)
class _Hold:
    """Events a flush took from the queue and has not settled yet, as the sub-batches to send."""

    parts: deque[list[TaskCompletionEvent]] = field(default_factory=deque)
    released: bool = False

    def events(self) -> list[TaskCompletionEvent]:
        return [event for part in self.parts for event in part]


class Delivery:
    """Batches, sends, retries, isolates and re-queues events; performs no I/O itself."""

    def __init__(
        self,
        queue: EventQueue,
        policy: RetryPolicy,
        stats: DeliveryStats,
        *,
        batch_size: int,
        target_url: str,
        request_timeout: float = 10.0,
        dry_run: bool = False,
        max_event_age: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._queue = queue
        self._policy = policy
        self._stats = stats
        self._batch_size = min(100, max(1, batch_size))
        self._target_url = target_url
        self._request_timeout = request_timeout
        self._dry_run = dry_run
        self._max_event_age = max_event_age
        self._clock = clock
        self._wall_clock = wall_clock
        self._forbidden_logged = False
        # Reentrant: a SIGTERM handler may stop the client on the thread that holds it.
        self._lock = threading.RLock()
        self._held: set[_Hold] = set()
        self._generation = 0
        self._stop_deadline: float | None = None
        self._refusal: tuple[UUID, int, int] | None = None
        self.not_before = float("-inf")
        """Monotonic time before which no request may go out (Retry-After, backoff)."""

    # -- control, from any thread -----------------------------------------------------------

    def stop_by(self, deadline: float) -> None:
        """Bound every running and later flush by this monotonic deadline (until resume())."""
        with self._lock:
            if self._stop_deadline is None or deadline < self._stop_deadline:
                self._stop_deadline = deadline

    def resume(self) -> None:
        """Lift the stop deadline: flushes are unbounded again (start())."""
        with self._lock:
            self._stop_deadline = None

    def abandon(self) -> int:
        """Put every held batch back at the front of the queue; running flushes then end."""
        with self._lock:
            self._generation += 1
            holds, self._held = self._held, set()
            count = 0
            for hold in holds:
                hold.released = True
                events = hold.events()
                self._queue.put_back(events)
                count += len(events)
            self._stats.abandoned += count
            self._stats.put_back += count
        if count:
            logger.info("Telemetry: %d events in flight put back on the queue", count)
        return count

    @property
    def held(self) -> int:
        """Events taken by running flushes and not settled yet."""
        with self._lock:
            return sum(len(hold.events()) for hold in self._held)

    def reset_after_fork(self) -> None:
        """In a forked child: fresh lock, nothing held, no deadline, no waits inherited."""
        self._lock = threading.RLock()
        for hold in self._held:
            # The parent's flushes: their events are the parent's, never put back here.
            hold.released = True
        self._held = set()
        self._generation += 1
        self._stop_deadline = None
        self._refusal = None
        self.not_before = float("-inf")

    # -- the flush --------------------------------------------------------------------------

    def flush(self, *, deadline: float | None = None, limit: int | None = None) -> Steps:
        """Send batches until the queue is empty (or `limit` events were taken), a batch had to
        be put back, or the deadline leaves no room for the next step."""
        result = FlushResult()
        generation = self._generation
        left = limit
        while left is None or left > 0:
            size = self._batch_size if left is None else min(self._batch_size, left)
            hold = self._take(generation, size)
            if hold is None:
                break
            if left is not None:
                left -= len(hold.parts[0])
            self._drop_stale(hold, result)
            if not hold.parts[0]:
                self._release(hold)
                continue
            if self._dry_run:
                events = hold.parts[0]
                logger.log(
                    asked_for_level(logger),
                    "[DRY RUN] Would submit batch of %d events to %s",
                    len(events),
                    self._target_url,
                )
                self._stats.dry_run += len(events)
                self._release(hold)
                continue
            ended = yield from self._deliver(hold, deadline, result)
            if ended:
                break
        result.queued = self._queue.size
        return result

    def _take(self, generation: int, size: int) -> _Hold | None:
        with self._lock:
            if generation != self._generation:
                return None  # abandoned: this flush must not take anything more
            events = self._queue.drain(size)
            if not events:
                return None
            hold = _Hold(deque([events]))
            self._held.add(hold)
            return hold

    def _release(self, hold: _Hold) -> None:
        with self._lock:
            hold.released = True
            self._held.discard(hold)

    def _deadline(self, own: float | None) -> float | None:
        stop = self._stop_deadline
        if own is None:
            return stop
        return own if stop is None else min(own, stop)

    def _deliver(
        self, hold: _Hold, own_deadline: float | None, result: FlushResult
    ) -> Generator[Step, Reply, bool]:
        """Settle one held batch; True if the flush must end (put back, or abandoned)."""
        retries = 0
        try:
            while hold.parts:
                # Gate: no request before not_before; no wait that would end past the deadline.
                while True:
                    now = self._clock()
                    deadline = self._deadline(own_deadline)
                    if self.not_before > now:
                        if deadline is not None and self.not_before > deadline:
                            wait = self.not_before - now
                            return self._keep(hold, f"a {wait:.1f} s wait would pass the deadline")
                        yield Wait(self.not_before - now)
                        if hold.released:
                            return True
                        continue
                    if deadline is not None and deadline - now <= 0:
                        return self._keep(hold, "the deadline has passed")
                    timeout = self._request_timeout
                    if deadline is not None:
                        timeout = min(timeout, deadline - now)
                    break
                events = hold.parts[0]
                self._stats.requests += 1
                reply = yield Send(BatchEventRequest(events=events), timeout)
                with self._lock:
                    if hold.released:
                        return True  # abandoned meanwhile: the events are back on the queue
                    if isinstance(reply, BatchEventResponse):
                        hold.parts.popleft()
                        self._account(events, reply, result)
                        self._refusal = None
                        retries = 0
                        continue
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
                        self.not_before = max(self.not_before, self._clock() + decision.delay)
                        continue
                    retries = 0
                    if decision.delay > 0:  # retries ran out: the wait still binds the next try
                        self.not_before = max(self.not_before, self._clock() + decision.delay)
                    if decision.action is Action.DROP:
                        hold.parts.popleft()
                        self._log_drop(len(events), decision.reason, decision.status)
                        self._stats.dropped += len(events)
                        result.dropped += len(events)
                    elif decision.action is Action.ISOLATE:
                        self._isolate(hold, decision, result)
                    elif self._refused_too_often(events, decision):
                        hold.parts.popleft()
                        logger.error(
                            "Telemetry batch of %d events dropped: refused %d times in a row (%s)",
                            len(events),
                            REFUSALS_BEFORE_DROP,
                            decision.reason,
                            extra=_not_delivered("dropped", decision.reason),
                        )
                        self._stats.dropped_refused += len(events)
                        result.dropped += len(events)
                    else:
                        return self._keep(hold, decision.reason, level=logging.WARNING)
            self._release(hold)
            return False
        except GeneratorExit:
            # The driver closed this flush (a cancelled task): nothing held may be lost.
            self._keep(hold, "the flush was cancelled", abandoned=True)
            raise

    def _keep(
        self, hold: _Hold, reason: str, *, level: int = logging.INFO, abandoned: bool = False
    ) -> bool:
        """Put what the hold still has back at the front of the queue; the flush ends."""
        with self._lock:
            if hold.released:
                return True
            hold.released = True
            self._held.discard(hold)
            events = hold.events()
            self._queue.put_back(events)
            self._stats.put_back += len(events)
            if abandoned:
                self._stats.abandoned += len(events)
        if events:
            logger.log(
                level,
                "Telemetry batch of %d events not delivered (%s); re-queued for the next cycle",
                len(events),
                reason,
                extra=_not_delivered("kept", reason),
            )
        return True

    def _isolate(self, hold: _Hold, decision: Decision, result: FlushResult) -> None:
        """Drop the events the server refused, keep the rest to send at once; split if unnamed."""
        events = hold.parts.popleft()
        if decision.instance_id is not None:
            bad = {i for i, e in enumerate(events) if str(e.instance_id) == decision.instance_id}
        else:
            bad = set(decision.indexes)
        if not bad or max(bad) >= len(events):
            if len(events) > 1:
                half = len(events) // 2
                hold.parts.extendleft([events[half:], events[:half]])
                return
            bad = {0}
        refused = [events[i] for i in sorted(bad)]
        rest = [e for i, e in enumerate(events) if i not in bad]
        if rest:
            hold.parts.appendleft(rest)
        self._stats.isolated += len(refused)
        result.dropped += len(refused)
        ids = ", ".join(str(e.event_id) for e in refused[:10])
        more = f" and {len(refused) - 10} more" if len(refused) > 10 else ""
        logger.warning(
            "Telemetry: %d events refused by the server dropped, the rest of their batch kept "
            "(%s): %s%s",
            len(refused),
            decision.reason,
            ids,
            more,
            extra={"isolated_event_ids": [str(e.event_id) for e in refused]},
        )

    def _refused_too_often(self, events: list[TaskCompletionEvent], decision: Decision) -> bool:
        """Count a non-retryable refusal of this head batch; True at the third in a row."""
        status = decision.status
        if status is None or not 300 <= status < 500:
            self._refusal = None
            return False
        head = events[0].event_id
        previous = self._refusal
        count = previous[2] + 1 if previous is not None and previous[:2] == (head, status) else 1
        self._refusal = (head, status, count)
        if count >= REFUSALS_BEFORE_DROP:
            self._refusal = None
            return True
        return False

    def _drop_stale(self, hold: _Hold, result: FlushResult) -> None:
        if self._max_event_age is None:
            return
        cutoff = self._wall_clock() - self._max_event_age
        events = hold.parts[0]
        fresh = [e for e in events if e.timestamp.timestamp() >= cutoff]
        stale = len(events) - len(fresh)
        if stale:
            hold.parts[0] = fresh
            self._stats.dropped_stale += stale
            result.dropped += stale
            logger.warning(
                "Telemetry: %d events older than max_event_age_seconds=%s dropped",
                stale,
                self._max_event_age,
            )

    def _log_drop(self, count: int, reason: str, status: int | None) -> None:
        if status == 403:
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

    def _account(
        self, events: list[TaskCompletionEvent], response: BatchEventResponse, result: FlushResult
    ) -> None:
        rejected = duplicates = 0
        for item in response.results:
            if item.status != "rejected":
                continue
            error = item.error or ""
            if error.lower().startswith("duplicate"):
                duplicates += 1
                continue
            rejected += 1
            # Structured too, so tools (the CLI's `send`) need not parse the message text.
            logger.warning(
                "Telemetry event %s rejected by server: %s",
                item.event_id,
                error,
                extra={"rejected_event_id": str(item.event_id), "rejection_error": error},
            )
        if not response.results and response.rejected:
            # A server that reports counts without per-event results.
            rejected = min(len(events), response.rejected)
            logger.warning("Telemetry server rejected %d events (no details given)", rejected)
        self._stats.rejected += rejected
        self._stats.duplicates += duplicates
        self._stats.delivered += len(events) - rejected
        result.delivered += len(events) - rejected
        result.dropped += rejected
