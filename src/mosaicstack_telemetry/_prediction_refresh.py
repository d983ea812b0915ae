"""PredictionRefresher: keeps watched and requested predictions fresh in the background.

`cycle()` decides, as a generator, which queries are due (missing, or past their TTL, and not
backing off) and yields one `PredictionBatchRequest` of at most 50 queries at a time; the driver
sends it and passes back the `PredictionBatchResponse` or the exception. With a persisted cache,
each query is first claimed in the shared file, so processes sharing it never fetch the same
query twice within a TTL. A failed refresh keeps the cached entry and backs off as event
delivery does (`RetryPolicy`: exponential backoff, `Retry-After` on 429).

It runs beside the event submitter, not inside it, so a slow prediction request never holds up
events: on a daemon thread (`RefreshThread`) or as an asyncio task (`RefreshTask`).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING

from ._cache import CachedPrediction, PredictionCache, _Key
from ._generated.models import PredictionBatchRequest, PredictionBatchResponse, PredictionQuery
from ._retry import Action, RetryPolicy

if TYPE_CHECKING:
    import asyncio

    from ._prediction_store import PredictionStore

logger = logging.getLogger("mosaicstack_telemetry")

MAX_QUERIES_PER_REQUEST = 50
# Whatever the TTL (0, negative, NaN), a query is fetched at most once a second; and a driver
# never sleeps longer than an hour at a time (an infinite TTL must not reach Event.wait()).
MIN_REFRESH_SECONDS = 1.0
MAX_SLEEP_SECONDS = 3600.0

Reply = PredictionBatchResponse | BaseException | None
Cycle = Generator[PredictionBatchRequest, Reply, None]


def retry_policy() -> RetryPolicy:
    """Events' policy, never giving up: prediction retries are spread over time, not a loop."""
    return RetryPolicy(max_retries=sys.maxsize)


class PredictionRefresher:
    """What to refresh and when; the drivers do the I/O."""

    def __init__(
        self,
        cache: PredictionCache,
        clock: Callable[[], float],
        *,
        store: PredictionStore | None = None,
        hold_seconds: float = 60.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._cache = cache
        self._clock = clock
        self._store = store
        self._hold = hold_seconds
        self._policy = policy or retry_policy()
        self._lock = threading.Lock()
        self._watched: dict[_Key, PredictionQuery] = {}
        self._requested: dict[_Key, PredictionQuery] = {}
        self._not_before: dict[_Key, float] = {}  # backing off, or another process holds it
        self._failures: dict[_Key, int] = {}
        self._in_flight: set[_Key] = set()
        ttl = cache.ttl_seconds
        self._fresh_for = ttl if ttl >= MIN_REFRESH_SECONDS else MIN_REFRESH_SECONDS
        self.requests = 0  # prediction requests sent

    def watch(self, queries: list[PredictionQuery]) -> None:
        """Keep these queries fresh from now on; anything but a PredictionQuery is skipped."""
        with self._lock:
            for query in queries:
                if isinstance(query, PredictionQuery):
                    self._watched[self._key(query)] = query
                else:
                    logger.warning(
                        "watch_predictions() expects PredictionQuery items, got %s; skipped",
                        type(query).__name__,
                    )

    def request(self, key: _Key, query: Callable[[], PredictionQuery | None]) -> bool:
        """Fetch this query once (a miss or a stale read); False if it is already wanted."""
        # Lock-free first look (dict membership is atomic): the usual answer on a hot path.
        if key in self._requested or key in self._watched:
            return False
        with self._lock:
            if key in self._requested or key in self._watched:
                return False
        made = query()
        if made is None:
            return False
        with self._lock:
            self._requested[key] = made
        return True

    def reset_after_fork(self) -> None:
        """In a fork child: a fresh lock, and the parent's requests in flight forgotten."""
        self._lock = threading.Lock()
        self._in_flight.clear()

    @property
    def wanted(self) -> int:
        """How many queries are watched or requested."""
        with self._lock:
            return len(self._watched) + len(self._requested)

    def seconds_until_due(self) -> float | None:
        """How long the driver may sleep before the next cycle; None: nothing to do."""
        now = self._clock()
        with self._lock:
            keys = [*self._watched, *self._requested]
            not_before = dict(self._not_before)
        if not keys:
            return None
        soonest = float("inf")
        for key in keys:
            found = self._cache.lookup(key)
            due = now if found is None else now + self._fresh_for - found.age_seconds
            soonest = min(soonest, max(due, not_before.get(key, now)))
        return min(max(0.0, soonest - now), MAX_SLEEP_SECONDS)

    def _due(self, found: CachedPrediction | None) -> bool:
        return found is None or (found.stale and found.age_seconds >= MIN_REFRESH_SECONDS)

    def cycle(self) -> Cycle:
        """Fetch every due query, 50 per request."""
        now = self._clock()
        with self._lock:
            wanted = {**self._watched, **self._requested}
            candidates = [
                key
                for key in wanted
                if key not in self._in_flight and self._not_before.get(key, now) <= now
            ]
        due = []
        for key in candidates:
            found = self._cache.lookup(key)
            if self._due(found):
                due.append(key)
            elif found is not None and not found.stale:
                self._done(key)
        if self._store is not None and due:
            claim = self._store.claim(due, now, self._fresh_for, self._hold)
            due = claim.granted
            with self._lock:
                self._not_before.update(claim.later)
        with self._lock:
            self._in_flight.update(due)
        answered = 0
        try:
            for start in range(0, len(due), MAX_QUERIES_PER_REQUEST):
                chunk = due[start : start + MAX_QUERIES_PER_REQUEST]
                self.requests += 1
                reply = yield PredictionBatchRequest(queries=[wanted[key] for key in chunk])
                if isinstance(reply, PredictionBatchResponse):
                    self._store_results(chunk, reply)
                else:
                    self._back_off(chunk, reply or RuntimeError("driver returned no reply"))
                answered = start + len(chunk)
        finally:
            with self._lock:
                self._in_flight.difference_update(due)
            if self._store is not None and answered < len(due):
                # Stopped mid-cycle: let another process take what this one will not fetch.
                self._store.release(due[answered:])

    def _store_results(self, chunk: list[_Key], reply: PredictionBatchResponse) -> None:
        if len(reply.results) != len(chunk):
            logger.warning(
                "Telemetry server answered %d predictions for %d queries; caching the matches",
                len(reply.results),
                len(chunk),
            )
        answered = list(zip(chunk, reply.results, strict=False))
        self._cache.put_many(answered)
        for key, _ in answered:
            self._done(key)

    def _done(self, key: _Key) -> None:
        with self._lock:
            self._requested.pop(key, None)
            self._not_before.pop(key, None)
            self._failures.pop(key, None)

    def _back_off(self, chunk: list[_Key], error: BaseException) -> None:
        with self._lock:
            failures = max(self._failures.get(key, 0) for key in chunk)
        if self._store is not None:
            failures = max(failures, self._store.failures(chunk))
        decision = self._policy.decide(error, failures)
        if decision.action is Action.RETRY:
            delay = decision.delay
        elif decision.action is Action.KEEP:  # another 4xx, an unexpected error
            delay = decision.delay or self._policy.backoff(failures)
        else:  # DROP (key refused, request refused...): retrying soon cannot help
            delay = self._fresh_for
        retry_at = self._clock() + delay
        with self._lock:
            for key in chunk:
                self._failures[key] = failures + 1
                self._not_before[key] = retry_at
        if self._store is not None:
            self._store.failed(chunk, retry_at)
        level = logging.WARNING if failures == 0 else logging.INFO
        logger.log(
            level,
            "Could not refresh telemetry predictions (%s); cached ones are still served, "
            "next try in %.1f s",
            decision.reason,
            delay,
        )

    @staticmethod
    def _key(query: PredictionQuery) -> _Key:
        from ._cache import cache_key

        return cache_key(query)


# -- drivers ---------------------------------------------------------------------------------------


class RefreshThread:
    """Runs refresh cycles on a daemon thread, sleeping until something is due."""

    def __init__(
        self,
        refresher: PredictionRefresher,
        fetch: Callable[[PredictionBatchRequest], PredictionBatchResponse],
    ) -> None:
        self._refresher = refresher
        self._fetch = fetch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="mosaicstack-telemetry-predictions", daemon=True
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """Look at what is due now (safe from any thread)."""
        self._wake.set()

    def stop(self, timeout: float) -> None:
        """Run a last cycle and stop, waiting at most timeout seconds (then leaving it be)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread.is_alive()

    def _run(self) -> None:
        from ._forksafety import warm_up

        try:
            warm_up()  # as the event submitter does: never half done when the host forks
        except Exception:
            logger.exception("Telemetry prediction refresher could not prepare its first request")
        while True:
            stopping = self._stop.is_set()
            try:
                # On stop, one last cycle: what a short-lived process asked for gets fetched
                # (within stop()'s wait) and persisted for its next run.
                self._drive(self._refresher.cycle())
                sleep = self._refresher.seconds_until_due()
            except Exception:
                logger.exception("Telemetry prediction refresh failed; will try again")
                sleep = 60.0
            if stopping:
                return
            self._wake.wait(sleep)
            self._wake.clear()

    def _drive(self, cycle: Cycle) -> None:
        reply: Reply = None
        while True:
            try:
                batch = cycle.send(reply)
            except StopIteration:
                return
            try:
                reply = self._fetch(batch)
            except Exception as exc:
                reply = exc


class RefreshTask:
    """Runs refresh cycles as an asyncio task on the loop that started it."""

    def __init__(
        self,
        refresher: PredictionRefresher,
        fetch: Callable[[PredictionBatchRequest], Awaitable[PredictionBatchResponse]],
    ) -> None:
        import asyncio  # here: thread-driver users never import asyncio

        self._refresher = refresher
        self._fetch = fetch
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Create the task."""
        self._task = self._loop.create_task(self._run(), name="mosaicstack-telemetry-predictions")

    def wake(self) -> None:
        """Look at what is due now (safe from any thread)."""
        with contextlib.suppress(RuntimeError):  # the loop has ended
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self, timeout: float) -> None:
        """Run a last cycle and stop; cancelled if that takes more than timeout seconds."""
        import asyncio

        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        await asyncio.wait({task}, timeout=timeout)
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    @property
    def alive(self) -> bool:
        """Whether the task is running."""
        return self._task is not None and not self._task.done()

    _stopping = False

    async def _run(self) -> None:
        import asyncio

        while True:
            stopping = self._stopping
            try:
                # On stop, one last cycle (stop() cancels it if it outlasts its wait).
                await self._drive(self._refresher.cycle())
                sleep = self._refresher.seconds_until_due()
            except Exception:
                logger.exception("Telemetry prediction refresh failed; will try again")
                sleep = 60.0
            if stopping:
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), sleep)
            self._wake.clear()

    async def _drive(self, cycle: Cycle) -> None:
        reply: Reply = None
        try:
            while True:
                try:
                    batch = cycle.send(reply)
                except StopIteration:
                    return
                try:
                    reply = await self._fetch(batch)
                except Exception as exc:
                    reply = exc
        finally:
            cycle.close()
