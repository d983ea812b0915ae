"""TelemetryClient: track() events, run the background submitter, fetch and cache predictions."""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from . import llm as _llm  # imports no provider SDK; its names load on first use
from ._cache import PredictionCache
from ._config import TelemetryConfig
from ._delivery import Delivery, DeliveryStats
from ._errors import ApiError
from ._generated import endpoints
from ._generated import models as _generated
from ._generated.models import PredictionBatchRequest, PredictionQuery, PredictionResponse
from ._models import TaskCompletionEvent
from ._queue import EventQueue
from ._retry import RetryPolicy
from ._unstarted import NeverStartedWatch
from ._visible_log import asked_for_level
from ._worker import AsyncWorker, ThreadWorker, run_steps

if TYPE_CHECKING:
    from .llm import LlmTask

logger = logging.getLogger("mosaicstack_telemetry")

_MAX_QUERIES_PER_REQUEST = 50


class TelemetryClient:
    """Queues events, submits them in the background, and caches predictions."""

    def __init__(self, config: TelemetryConfig) -> None:
        self._config = config
        if config.enabled:
            for problem in config.validate():
                logger.warning("Telemetry config problem: %s", problem)
        self._enabled = config.enabled
        self._queue = EventQueue(config.max_queue_size)
        # Wake the worker early once a full batch is queued (or the queue is full, if smaller).
        self._queue.threshold = min(100, max(1, config.batch_size), max(1, config.max_queue_size))
        self._cache = PredictionCache(config.prediction_cache_ttl_seconds)
        self._stats = DeliveryStats()
        self._delivery = Delivery(
            self._queue,
            RetryPolicy(max_retries=max(0, config.max_retries)),
            self._stats,
            batch_size=config.batch_size,
            target_url=config.events_url,
            dry_run=config.dry_run,
        )
        self._lock = threading.RLock()  # start() holds it while creating the HTTP client
        self._thread_worker: ThreadWorker | None = None
        self._async_worker: AsyncWorker | None = None
        self._http: httpx.Client | None = None
        self._async_http: httpx.AsyncClient | None = None
        self._started = False
        self._unstarted_watch: NeverStartedWatch | None = None

    def __repr__(self) -> str:
        return f"TelemetryClient(server_url={self._config.server_url!r}, running={self.is_running})"

    # -- the hot path -----------------------------------------------------------------------

    def track(self, event: TaskCompletionEvent) -> None:
        """Queue an event for submission. Never blocks, never raises; safe from any thread."""
        try:
            if not self._enabled:
                return
            # The generated base class: events built from it are as valid on the wire.
            if isinstance(event, _generated.TaskCompletionEvent):
                self._queue.put(event)
                if not self._started and self._unstarted_watch is None:
                    self._watch_unstarted()
                return
            self._count_invalid()
            logger.warning(
                "track() expects a TaskCompletionEvent, got %s; dropped", type(event).__name__
            )
        except Exception:
            self._count_invalid()
            logger.exception("Unexpected error in track(); event dropped")

    def _watch_unstarted(self) -> None:
        # Events queued with no submitter: if start() never comes, say so at exit.
        with self._lock:
            if self._started or self._unstarted_watch is not None:
                return
            self._unstarted_watch = NeverStartedWatch(self._queue, self._stats)
            atexit.register(self._unstarted_watch)

    def _mark_started(self) -> None:
        with self._lock:
            self._started = True
            watch, self._unstarted_watch = self._unstarted_watch, None
        if watch is not None:
            atexit.unregister(watch)

    def llm_task(self, **options: Any) -> LlmTask:
        """Time one LLM task and queue its event: a (async) context manager or a decorator.

        Options and behaviour: `mosaicstack_telemetry.llm.LlmTask` (docs/llm.md).
        """
        return _llm.LlmTask(self, **options)

    def _count_invalid(self) -> None:
        with self._lock:
            self._stats.invalid += 1

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start background submission on a daemon thread; no-op if disabled or running."""
        if not self._enabled:
            return
        with self._lock:
            if self._thread_worker is not None and self._thread_worker.alive:
                return
            self._mark_started()
            worker = ThreadWorker(
                self._delivery, self._sync_http(), self._config.submit_interval_seconds
            )
            self._thread_worker = worker
            self._queue.on_threshold = worker.wake
            worker.start()
            self._wake_if_backlogged(worker.wake)
            atexit.register(self._flush_at_exit)

    def stop(self) -> None:
        """Stop the thread submitter after a final flush; safe to call if not started."""
        with self._lock:
            worker, self._thread_worker = self._thread_worker, None
        if worker is not None:
            worker.stop(timeout=self._stop_timeout())
            if self._queue.on_threshold == worker.wake:
                self._queue.on_threshold = None
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()
        if worker is not None:
            self._report_leftovers()
        self._forget_exit_hook()

    async def start_async(self) -> None:
        """Start background submission as an asyncio task; no-op if disabled or running."""
        if not self._enabled:
            return
        if self._async_worker is not None and self._async_worker.alive:
            return
        self._mark_started()
        worker = AsyncWorker(
            self._delivery, self._async_client(), self._config.submit_interval_seconds
        )
        self._async_worker = worker
        self._queue.on_threshold = worker.wake
        worker.start()
        self._wake_if_backlogged(worker.wake)
        atexit.register(self._flush_at_exit)

    async def stop_async(self) -> None:
        """Stop the asyncio submitter after a final flush; safe to call if not started."""
        worker, self._async_worker = self._async_worker, None
        if worker is not None:
            await worker.stop()
            if self._queue.on_threshold == worker.wake:
                self._queue.on_threshold = None
        http, self._async_http = self._async_http, None
        if http is not None:
            await http.aclose()
        if worker is not None:
            self._report_leftovers()
        self._forget_exit_hook()

    def _forget_exit_hook(self) -> None:
        if self._thread_worker is None and self._async_worker is None:
            atexit.unregister(self._flush_at_exit)

    def _flush_at_exit(self) -> None:
        # The host exited without stop()/stop_async(): deliver what is queued, as stop() would,
        # instead of losing it with the daemon thread or the closed event loop.
        try:
            if self._async_worker is not None:
                # Its event loop is gone; flush synchronously, without waiting between retries.
                self._async_worker = None
                http = self._sync_http()
                run_steps(
                    self._delivery.flush(),
                    lambda batch: endpoints.submit_events_batch(http, batch),
                    lambda _seconds: None,
                )
            self.stop()
        except Exception:
            logger.exception("Telemetry flush at interpreter exit failed")

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
        """A snapshot of delivery counters (delivered, rejected, dropped, evicted, ...)."""
        return dataclasses.replace(self._stats, evicted=self._queue.evicted)

    # -- predictions ------------------------------------------------------------------------

    def get_prediction(self, query: PredictionQuery) -> PredictionResponse | None:
        """Return the cached prediction for a query, or None if not cached or expired."""
        return self._cache.get(query)

    def refresh_predictions_sync(self, queries: list[PredictionQuery]) -> None:
        """Fetch predictions (POST /v1/predictions/batch) into the cache; no-op for no queries."""
        for chunk in self._prediction_chunks(queries):
            try:
                response = endpoints.get_predictions_batch(self._sync_http(), chunk)
            except (ApiError, httpx.HTTPError) as exc:
                logger.warning("Could not refresh telemetry predictions: %s", exc)
                return
            self._store_predictions(chunk, response.results)

    async def refresh_predictions(self, queries: list[PredictionQuery]) -> None:
        """Fetch predictions (POST /v1/predictions/batch) into the cache; no-op for no queries."""
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
        step = _MAX_QUERIES_PER_REQUEST
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
        for query, result in zip(request.queries, results, strict=False):
            self._cache.put(query, result)

    # -- HTTP -------------------------------------------------------------------------------

    def _client_options(self) -> dict[str, object]:
        return {
            "base_url": self._config.server_url,
            "headers": {
                "Authorization": f"Bearer {self._config.api_key}",
                "User-Agent": self._config.user_agent,
            },
            "timeout": self._config.request_timeout_seconds,
        }

    def _sync_http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(**self._client_options())  # type: ignore[arg-type]
            return self._http

    def _async_client(self) -> httpx.AsyncClient:
        if self._async_http is None:
            self._async_http = httpx.AsyncClient(**self._client_options())  # type: ignore[arg-type]
        return self._async_http

    def _stop_timeout(self) -> float:
        # The final flush is bounded by its own retries; this is a safety net on top.
        attempts = max(0, self._config.max_retries) + 1
        return attempts * max(self._config.request_timeout_seconds, 0.0) * 2 + 5.0

    def _report_leftovers(self) -> None:
        left = self._queue.size
        if left and not self.is_running:
            logger.warning("%d telemetry events are still queued and were not delivered", left)
