"""TelemetryClient: track() events, run the background submitter, fetch and cache predictions."""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import _forksafety, _secrets
from . import llm as _llm  # imports no provider SDK; its names load on first use
from ._cache import PredictionCache, _Key, _value, cache_key
from ._config import TelemetryConfig, usable_config
from ._delivery import Delivery, DeliveryStats, FlushResult
from ._errors import ApiError
from ._estimate import MISS, Estimate, estimate_from
from ._generated import models as _generated
from ._generated.models import (
    Complexity,
    PredictionBatchRequest,
    PredictionBatchResponse,
    PredictionQuery,
    PredictionResponse,
    Provider,
    TaskType,
)
from ._models import TaskCompletionEvent, is_validated
from ._prediction_refresh import (
    MAX_QUERIES_PER_REQUEST,
    PredictionRefresher,
    RefreshTask,
    RefreshThread,
)
from ._queue import EventQueue
from ._retry import RetryPolicy
from ._unstarted import NeverStartedWatch
from ._visible_log import asked_for_level
from ._worker import (
    AsyncWorker,
    ThreadWorker,
    run_steps,
    run_steps_async,
    send_within,
    send_within_async,
)

if TYPE_CHECKING:
    # httpx and the endpoint stubs load where a request is first made (the worker thread, a
    # flush or a prediction refresh), never in TelemetryClient() or track(): they are most of
    # a cold start (docs/performance.md).
    import httpx

    from ._prediction_store import PredictionStore
    from ._spool import Spool
    from .llm import LlmTask

logger = logging.getLogger("mosaicstack_telemetry")


class TelemetryClient:
    """Queues events, submits them in the background, and caches predictions."""

    def __init__(self, config: TelemetryConfig) -> None:
        _secrets.register(config.api_key, self)
        given = config
        # Never run with an invalid value: each one is replaced (and reported here, once).
        config, problems = usable_config(given)
        self._config = config
        # A switch that was not a bool is turned off: say why, as for an enabled client.
        if config.enabled or given.enabled is not config.enabled:
            for problem in problems:
                logger.warning("Telemetry config problem: %s", problem)
        self._enabled = config.enabled
        self._queue = EventQueue(config.max_queue_size)
        # Wake the worker early once a full batch is queued (or the queue is full, if smaller).
        self._queue.threshold = min(100, max(1, config.batch_size), max(1, config.max_queue_size))
        self._store = self._prediction_store(config)
        # Persisted entries are shared between processes, so their ages use the wall clock.
        clock = time.monotonic if self._store is None else time.time
        self._cache = PredictionCache(
            config.prediction_cache_ttl_seconds,
            clock,
            max_stale_seconds=_finite(config.prediction_max_stale_seconds, 0.0),
            store=self._store,
        )
        self._refresher = PredictionRefresher(
            self._cache, clock, store=self._store, hold_seconds=self._claim_seconds()
        )
        self._refresh_driver: RefreshThread | RefreshTask | None = None
        self._stats = DeliveryStats()
        self._delivery = Delivery(
            self._queue,
            RetryPolicy(max_retries=max(0, config.max_retries)),
            self._stats,
            batch_size=config.batch_size,
            target_url=config.events_url,
            request_timeout=max(0.001, config.request_timeout_seconds),
            dry_run=config.dry_run,
            max_event_age=config.max_event_age_seconds,
        )
        self._spool: Spool | None = None
        if config.enabled and config.spool_dir is not None:
            from ._spool import Spool  # only with a spool: most hosts never load it

            self._spool = Spool(config.spool_dir, config.spool_max_bytes)
            self._queue.on_overflow = self._spool_events
        self._lock = threading.RLock()  # start() holds it while creating the HTTP client
        self._thread_worker: ThreadWorker | None = None
        self._async_worker: AsyncWorker | None = None
        self._http: httpx.Client | None = None
        self._async_http: httpx.AsyncClient | None = None
        # Started and not stopped: the exit/SIGTERM flush has work to do.
        self._started = False
        # Never started at all: events tracked meanwhile are reported at exit if still queued.
        self._ever_started = False
        self._unstarted_watch: NeverStartedWatch | None = None
        if config.enabled:
            _forksafety.register(self)

    def __repr__(self) -> str:
        # The usable server_url: credentials were removed from it.
        return f"TelemetryClient(server_url={self._config.server_url!r}, running={self.is_running})"

    # -- the hot path -----------------------------------------------------------------------

    def track(self, event: TaskCompletionEvent) -> None:
        """Queue an event for submission. Never blocks, never raises; safe from any thread."""
        try:
            if not self._enabled:
                return
            if isinstance(event, _generated.TaskCompletionEvent):
                if is_validated(event):
                    self._queue.put(event)
                else:
                    # model_construct(), model_copy(), a pickle or the generated base class: not
                    # known to be valid, so validate it now (the fast path above is the common one).
                    self._queue.put(TaskCompletionEvent.model_validate(dict(event.__dict__)))
                if not self._ever_started and self._unstarted_watch is None:
                    self._watch_unstarted()
                return
            self._count_invalid()
            logger.warning(
                "track() expects a TaskCompletionEvent, got %s; dropped", type(event).__name__
            )
        except ValidationError as exc:
            self._count_invalid()
            logger.warning(
                "track() got an event that does not validate (built with model_construct()?); "
                "dropped: %s",
                exc,
            )
        except Exception:
            self._count_invalid()
            logger.exception("Unexpected error in track(); event dropped")

    def llm_task(self, **options: Any) -> LlmTask:
        """Time one LLM task and queue its event: a (async) context manager or a decorator.

        Options and behaviour: `mosaicstack_telemetry.llm.LlmTask` (docs/llm.md).
        """
        return _llm.LlmTask(self, **options)

    def _watch_unstarted(self) -> None:
        # Events queued with no submitter: if start() never comes, say so at exit.
        with self._lock:
            if self._ever_started or self._unstarted_watch is not None:
                return
            self._unstarted_watch = NeverStartedWatch(self._queue, self._stats)
            atexit.register(self._unstarted_watch)

    def _count_invalid(self) -> None:
        with self._lock:
            self._stats.invalid += 1

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start background submission on a daemon thread; no-op if disabled or running."""
        if not self._enabled:
            return
        _forksafety.load_http()
        with self._lock:
            if self._thread_worker is not None and self._thread_worker.alive:
                return
            self._delivery.resume()
            self._unspool()
            worker = ThreadWorker(
                self._delivery,
                self._sync_http,
                self._config.submit_interval_seconds,
                before_cycle=self._unspool,
            )
            self._thread_worker = worker
            self._queue.on_threshold = worker.wake
            worker.start()
            self._wake_if_backlogged(worker.wake)
            self._on_started()
        if self._refresher.wanted:
            self._ensure_refreshing()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread submitter after a final flush; safe to call if not started.

        The final flush honours Retry-After and backoff and ends within `timeout` seconds
        (default `shutdown_timeout_seconds`); what is left is spooled (with a spool_dir) or
        stays queued, and a warning says how many events remain.
        """
        deadline = self._deadline(timeout)
        with self._lock:
            worker, self._thread_worker = self._thread_worker, None
        if worker is None and self._started and self._async_worker is None:
            # Started, but no worker left (a fork child of an asyncio host): flush here.
            self._flush_without_worker(deadline)
            self._stop_refresh_thread(deadline)
            return
        ended = True
        if worker is not None:
            self._delivery.stop_by(deadline)
            ended = worker.stop(deadline)
            if not ended:
                self._delivery.abandon()
            if self._queue.on_threshold == worker.wake:
                self._queue.on_threshold = None
        self._stop_refresh_thread(deadline)
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            self._close_http(http, wait=ended)
        if worker is not None:
            self._finish()
        self._on_stopped()

    async def start_async(self) -> None:
        """Start background submission as an asyncio task; no-op if disabled or running."""
        if not self._enabled:
            return
        _forksafety.load_http()
        if self._async_worker is not None and self._async_worker.alive:
            return
        self._delivery.resume()
        self._unspool()
        worker = AsyncWorker(
            self._delivery,
            self._async_client,
            self._config.submit_interval_seconds,
            before_cycle=self._unspool,
        )
        self._async_worker = worker
        self._queue.on_threshold = worker.wake
        worker.start()
        self._wake_if_backlogged(worker.wake)
        self._on_started()
        self._start_refresh_task()

    async def stop_async(self, timeout: float | None = None) -> None:
        """Stop the asyncio submitter after a final flush; safe to call if not started.

        Bounded by `timeout` seconds (default `shutdown_timeout_seconds`) as stop() is.
        """
        deadline = self._deadline(timeout)
        worker, self._async_worker = self._async_worker, None
        ended = True
        if worker is not None:
            self._delivery.stop_by(deadline)
            ended = await worker.stop(deadline)
            if self._queue.on_threshold == worker.wake:
                self._queue.on_threshold = None
        driver = self._refresh_driver
        if isinstance(driver, RefreshTask):
            self._refresh_driver = None
            await driver.stop(timeout=self._refresh_wait(deadline))
        elif driver is not None:
            driver.stop(timeout=0.0)  # never block the event loop; it ends after its request
        http, self._async_http = self._async_http, None
        # After a cancelled request the connection may still be held: dropped, not awaited.
        if http is not None and ended:
            await http.aclose()
        if worker is not None:
            self._finish()
        self._on_stopped()

    def flush(self, timeout: float | None = None) -> FlushResult:
        """Deliver what is queued now, on this thread, within `timeout` seconds (default
        `shutdown_timeout_seconds`); returns what was delivered, dropped and is still queued."""
        if not self._enabled:
            return FlushResult()
        _forksafety.warm_up()
        http = self._sync_http()
        steps = self._delivery.flush(deadline=self._deadline(timeout), limit=self._queue.size)
        return run_steps(steps, lambda batch, t: send_within(http, batch, t), time.sleep)

    async def flush_async(self, timeout: float | None = None) -> FlushResult:
        """Deliver what is queued now, on the running event loop, within `timeout` seconds
        (default `shutdown_timeout_seconds`); returns what was delivered, dropped and queued."""
        if not self._enabled:
            return FlushResult()
        import asyncio

        http = self._async_client()
        steps = self._delivery.flush(deadline=self._deadline(timeout), limit=self._queue.size)
        return await run_steps_async(
            steps, lambda batch, t: send_within_async(http, batch, t), asyncio.sleep
        )

    def _deadline(self, timeout: float | None) -> float:
        seconds = self._config.shutdown_timeout_seconds if timeout is None else timeout
        return time.monotonic() + max(0.0, seconds)

    def _on_started(self) -> None:
        self._started = True
        with self._lock:
            self._ever_started = True
            watch, self._unstarted_watch = self._unstarted_watch, None
        if watch is not None:
            atexit.unregister(watch)
        atexit.unregister(self._flush_at_exit)  # once, even after a fork re-registered it
        atexit.register(self._flush_at_exit)
        if self._config.flush_on_sigterm:
            from . import _signals

            _signals.install(self)

    def _on_stopped(self) -> None:
        # The stop deadline bound the final flush only: a later flush() has its own.
        self._delivery.resume()
        if self._thread_worker is None and self._async_worker is None:
            self._started = False
            atexit.unregister(self._flush_at_exit)
            from . import _signals

            _signals.uninstall(self)

    def _flush_at_exit(self) -> None:
        # The host exited without stop()/stop_async(): deliver what is queued, as stop() would,
        # instead of losing it with the daemon thread or the closed event loop.
        try:
            self._shutdown_now("exit")
        except Exception:
            logger.exception("Telemetry flush at interpreter exit failed")

    def _shutdown_now(self, why: str) -> None:
        """The bounded shutdown from any synchronous context (exit, SIGTERM, a fork child)."""
        if not self._started:
            return
        if self._thread_worker is not None:
            self.stop()
        else:
            self._flush_without_worker(self._deadline(None))
        logger.debug("Telemetry client shut down (%s)", why)

    def _flush_without_worker(self, deadline: float) -> None:
        """The final flush on this thread: for an asyncio worker whose loop is gone (or cannot
        be awaited from here), or a forked child's client whose worker could not follow."""
        self._async_worker = None
        self._async_http = None
        self._delivery.stop_by(deadline)
        self._delivery.abandon()  # what a cancelled or unreachable flush still holds
        _forksafety.warm_up()
        sync_http = self._sync_http()
        run_steps(
            self._delivery.flush(deadline=deadline),
            lambda batch, t: send_within(sync_http, batch, t),
            time.sleep,
        )
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            self._close_http(http, wait=True)
        self._finish()
        self._on_stopped()

    def _finish(self) -> None:
        """After the final flush: spool what is left (if configured) and say what remains."""
        if self._spool is not None:
            left = self._queue.take_overflow() + self._queue.drain(self._queue.max_size)
            if left:
                self._spool_events(left, put_back_on_failure=True)
        self._report_leftovers()

    def _spool_events(
        self, events: list[TaskCompletionEvent], put_back_on_failure: bool = False
    ) -> None:
        spool = self._spool
        if spool is None or not events:
            return
        try:
            trimmed = spool.write(events)
        except OSError as exc:
            logger.warning(
                "Telemetry spool %s cannot be written (%s): %d events %s",
                spool.directory,
                exc,
                len(events),
                "kept in memory" if put_back_on_failure else "evicted",
            )
            if put_back_on_failure:
                self._queue.put_back(events)
            else:
                with self._lock:
                    self._queue.evicted += len(events)
            return
        with self._lock:
            self._stats.spooled += len(events)
            self._stats.spool_dropped += trimmed
        logger.info("Telemetry: %d events spooled to %s", len(events), spool.directory)

    def _unspool(self) -> None:
        """Move spooled events (oldest first) to the front of the queue, as many as fit."""
        spool = self._spool
        if spool is None:
            return
        room = self._queue.free()
        if room <= 0:
            return
        try:
            claimed = spool.claim(room)
        except OSError as exc:
            logger.warning("Telemetry spool %s cannot be read: %s", spool.directory, exc)
            return
        events, rest = claimed.events[:room], claimed.events[room:]
        if rest:
            # A file bigger than the room left: the rest goes back as a file of its own.
            try:
                spool.write(rest)
            except OSError:
                events = claimed.events  # kept in memory rather than lost
        if events:
            self._queue.put_back(events)
            logger.info(
                "Telemetry: %d spooled events from %s queued for delivery",
                len(events),
                spool.directory,
            )
        with self._lock:
            self._stats.unspooled += len(events)
            self._stats.spool_dropped += claimed.skipped

    def _close_http(self, http: httpx.Client, *, wait: bool) -> None:
        if wait:
            http.close()
            return
        # A request abandoned at the deadline may still hold a connection: closing could block
        # until the server lets go, so it happens off this thread.
        closer = threading.Thread(target=http.close, name="mosaicstack-telemetry-close")
        closer.daemon = True
        # No new threads at interpreter shutdown (3.12+): the process is ending and takes the
        # connection with it; what matters is that the spool and the report still run.
        with contextlib.suppress(RuntimeError):
            closer.start()

    def _after_fork_in_child(self) -> bool:
        """Start clean in a forked child; True if the client was started in the parent."""
        was_thread = self._thread_worker is not None
        started = self._started
        self._lock = threading.RLock()
        self._queue.reset_after_fork()
        self._delivery.reset_after_fork()
        for item in dataclasses.fields(self._stats):
            setattr(self._stats, item.name, 0)
        # The parent's connections, locks and event loop are not this process's to use.
        self._http = None
        self._async_http = None
        self._thread_worker = None
        self._async_worker = None
        self._queue.on_threshold = None
        # Predictions: the refresher's thread or task did not follow; its locks start free.
        self._refresh_driver = None
        self._cache.reset_after_fork()
        self._refresher.reset_after_fork()
        if self._store is not None:
            self._store.reset_after_fork()
        if was_thread:
            self.start()
        return started

    def _wake_if_backlogged(self, wake: Callable[[], None]) -> None:
        # Events tracked before start() already crossed the threshold with nobody to tell.
        if self._queue.size >= self._queue.threshold:
            wake()

    def __enter__(self) -> TelemetryClient:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> TelemetryClient:
        await self.start_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_async()

    @property
    def queue_size(self) -> int:
        """Number of events currently in the in-memory queue."""
        return self._queue.size

    @property
    def is_running(self) -> bool:
        """Whether the background submitter (sync or async) is active."""
        workers = (self._thread_worker, self._async_worker)
        return any(w is not None and w.alive for w in workers)

    @property
    def stats(self) -> DeliveryStats:
        """A snapshot of delivery counters (delivered, rejected, dropped, spooled, ...)."""
        return dataclasses.replace(self._stats, evicted=self._queue.evicted)

    # -- predictions ------------------------------------------------------------------------

    def get_prediction(self, query: PredictionQuery) -> PredictionResponse | None:
        """Return the cached prediction for a query, or None if not cached or expired."""
        if self._store is None:
            return self._cache.get(query)
        # Persisted: a stale entry is still served (for up to prediction_max_stale_seconds)
        # while a background refresh replaces it; never any network I/O here.
        key = cache_key(query)
        found = self._cache.lookup(key)
        if found is None or found.stale:
            self._want(key, lambda: query)
        return None if found is None else found.response

    def estimate(
        self,
        *,
        task_type: TaskType | str,
        model: str,
        provider: Provider | str,
        complexity: Complexity | str,
    ) -> Estimate:
        """Median tokens, cost and duration for a task, from the cache only; never blocks.

        On a miss or a stale entry a background refresh is scheduled, so a later call (or the
        next run, with persisted predictions) has the answer. Never raises.
        """
        try:
            key = (_value(task_type), model, _value(provider), _value(complexity))
            found = self._cache.lookup(key)
            if found is None or found.stale:
                self._want(key, lambda: _query(key))
            return estimate_from(found)
        except Exception:
            logger.exception("Unexpected error in estimate(); returning no estimate")
            return MISS

    def watch_predictions(self, queries: list[PredictionQuery]) -> None:
        """Keep these predictions fresh in the background (50 per request, once per TTL).

        Refreshes run on a daemon thread, or as an asyncio task after start_async(); a failed
        refresh keeps the cached entries and retries with backoff. No-op if disabled.
        """
        if not queries or not self._enabled:
            return
        if self._config.dry_run:
            logger.log(
                asked_for_level(logger),
                "[DRY RUN] Would keep %d predictions fresh from %s",
                len(queries),
                self._config.server_url,
            )
            return
        self._refresher.watch(list(queries))
        self._ensure_refreshing()

    def _want(self, key: _Key, query: Callable[[], PredictionQuery | None]) -> None:
        if not self._enabled or self._config.dry_run:
            return
        if self._refresher.request(key, query):
            self._ensure_refreshing()

    def _ensure_refreshing(self) -> None:
        with self._lock:
            driver = self._refresh_driver
            if driver is not None and driver.alive:
                driver.wake()
                return
            _forksafety.load_http()  # before the thread: see load_http()
            driver = RefreshThread(self._refresher, self._fetch_predictions)
            self._refresh_driver = driver
            driver.start()

    def _start_refresh_task(self) -> None:
        with self._lock:
            if self._refresh_driver is not None and self._refresh_driver.alive:
                return
            client = self._async_client()

            async def fetch(batch: PredictionBatchRequest) -> PredictionBatchResponse:
                from ._generated import endpoints

                return await endpoints.get_predictions_batch_async(client, batch)

            driver = RefreshTask(self._refresher, fetch)
            self._refresh_driver = driver
            driver.start()

    def _fetch_predictions(self, batch: PredictionBatchRequest) -> PredictionBatchResponse:
        from ._generated import endpoints  # on the refresh thread, not the host's

        return endpoints.get_predictions_batch(self._sync_http(), batch)

    def _stop_refresh_thread(self, deadline: float | None = None) -> None:
        with self._lock:
            driver = self._refresh_driver
            if not isinstance(driver, RefreshThread):
                return
            self._refresh_driver = None
        # A refresh in flight finishes (bounded by the request timeout) so the next run has it.
        driver.stop(timeout=self._refresh_wait(deadline))

    def _refresh_wait(self, deadline: float | None = None) -> float:
        """How long stop() waits for the refresher's last cycle (monotonic deadline: sooner)."""
        wait = _finite(self._config.request_timeout_seconds, 10.0) + 1.0
        return wait if deadline is None else max(0.0, min(wait, deadline - time.monotonic()))

    def _claim_seconds(self) -> float:
        # Long enough to cover one request, so no other process fetches the same query meanwhile.
        return max(60.0, 2 * _finite(self._config.request_timeout_seconds, 10.0) + 5.0)

    @staticmethod
    def _prediction_store(config: TelemetryConfig) -> PredictionStore | None:
        if not (config.enabled and config.persists_predictions):
            return None
        # Imported here: clients that do not persist predictions never load it.
        from ._prediction_store import PredictionStore, default_cache_dir, store_path

        try:
            directory = config.prediction_cache_dir or default_cache_dir()
            path = store_path(directory, config.server_url, config.instance_id)
            return PredictionStore(path)
        except (ImportError, RuntimeError, OSError, ValueError) as exc:
            # A Python built without sqlite3, or no home directory to put the cache in.
            logger.warning("Predictions cannot be persisted (%s); keeping them in memory", exc)
            return None

    def refresh_predictions_sync(self, queries: list[PredictionQuery]) -> None:
        """Fetch predictions (POST /v1/predictions/batch) into the cache; no-op for no queries."""
        import httpx

        from ._generated import endpoints

        for chunk in self._prediction_chunks(queries):
            try:
                response = endpoints.get_predictions_batch(self._sync_http(), chunk)
            except (ApiError, httpx.HTTPError) as exc:
                logger.warning("Could not refresh telemetry predictions: %s", exc)
                return
            self._store_predictions(chunk, response.results)

    async def refresh_predictions(self, queries: list[PredictionQuery]) -> None:
        """Fetch predictions (POST /v1/predictions/batch) into the cache; no-op for no queries."""
        import httpx

        from ._generated import endpoints

        for chunk in self._prediction_chunks(queries):
            try:
                response = await endpoints.get_predictions_batch_async(self._async_client(), chunk)
            except (ApiError, httpx.HTTPError) as exc:
                logger.warning("Could not refresh telemetry predictions: %s", exc)
                return
            self._store_predictions(chunk, response.results)

    def _prediction_chunks(self, queries: list[PredictionQuery]) -> list[PredictionBatchRequest]:
        if not queries or not self._enabled:
            return []
        if self._config.dry_run:
            logger.log(
                asked_for_level(logger),
                "[DRY RUN] Would fetch predictions for %d queries from %s",
                len(queries),
                self._config.server_url,
            )
            return []
        step = MAX_QUERIES_PER_REQUEST
        return [
            PredictionBatchRequest(queries=queries[i : i + step])
            for i in range(0, len(queries), step)
        ]

    def _store_predictions(
        self, request: PredictionBatchRequest, results: list[PredictionResponse]
    ) -> None:
        if len(results) != len(request.queries):
            logger.warning(
                "Telemetry server answered %d predictions for %d queries; caching the matches",
                len(results),
                len(request.queries),
            )
        self._cache.put_many(
            (cache_key(query), result)
            for query, result in zip(request.queries, results, strict=False)
        )

    # -- HTTP -------------------------------------------------------------------------------

    def _client_options(self) -> dict[str, object]:
        headers = {"User-Agent": self._config.user_agent}
        if self._config.api_key:
            headers["Authorization"] = f"Bearer {self._config.api_key}"
        return {
            "base_url": _base_url(self._config.server_url),
            "headers": headers,
            "timeout": self._config.request_timeout_seconds,
            # A redirect could carry the key to another host: a 3xx is an answer, not a hop.
            "follow_redirects": False,
        }

    def _sync_http(self) -> httpx.Client:
        import httpx

        with self._lock:
            if self._http is None:
                self._http = httpx.Client(**self._client_options())  # type: ignore[arg-type]
            return self._http

    def _async_client(self) -> httpx.AsyncClient:
        import httpx

        if self._async_http is None:
            self._async_http = httpx.AsyncClient(**self._client_options())  # type: ignore[arg-type]
        return self._async_http

    def _report_leftovers(self) -> None:
        left = self._queue.size + self._delivery.held
        if left and not self.is_running:
            logger.warning("%d telemetry events are still queued and were not delivered", left)


def _base_url(url: str) -> str:
    # usable_config() already refused what urlsplit sees as wrong; httpx is stricter still
    # (IDNA host names), and a URL it cannot parse must not make start() raise: with no base
    # URL every send fails as a connection error, and the events stay queued.
    import httpx  # called where a client is made: httpx is loaded there anyway

    try:
        httpx.URL(url)
    except Exception:
        return ""
    return url


def _finite(value: float, default: float) -> float:
    """value if it is a finite non-negative number, else default."""
    try:
        return value if math.isfinite(value) and value >= 0 else default
    except TypeError:
        return default


def _query(key: _Key) -> PredictionQuery | None:
    """The query for a cache key; None (logged) if a dimension is not a valid value."""
    from pydantic import ValidationError

    task_type, model, provider, complexity = key
    try:
        return PredictionQuery(
            task_type=TaskType(task_type),
            model=model,
            provider=Provider(provider),
            complexity=Complexity(complexity),
        )
    except (ValueError, ValidationError) as exc:
        logger.warning("estimate(): cannot ask the server for %s: %s", "/".join(key), exc)
        return None
