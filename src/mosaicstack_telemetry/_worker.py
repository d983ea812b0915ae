"""The background submitters: a thread driver and an asyncio driver for Delivery.flush().

Both only perform the steps Delivery decides on: send a batch over HTTP, or wait. Each wakes
every `interval` seconds, when the queue fills a batch, and on stop(); stop() cuts any wait short
and runs one final flush.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

from ._delivery import Delivery, Reply, Send, Steps
from ._generated import endpoints
from ._generated.models import BatchEventRequest, BatchEventResponse

if TYPE_CHECKING:
    import asyncio

logger = logging.getLogger("mosaicstack_telemetry")


def run_steps(
    steps: Steps,
    send: Callable[[BatchEventRequest], BatchEventResponse],
    wait: Callable[[float], object],
) -> None:
    """Drive a flush synchronously."""
    reply: Reply = None
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        if isinstance(step, Send):
            try:
                reply = send(step.batch)
            except Exception as exc:
                reply = exc
        else:
            wait(step.seconds)
            reply = None


async def run_steps_async(
    steps: Steps,
    send: Callable[[BatchEventRequest], Awaitable[BatchEventResponse]],
    wait: Callable[[float], Awaitable[object]],
) -> None:
    """Drive a flush on the event loop."""
    reply: Reply = None
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        if isinstance(step, Send):
            try:
                reply = await send(step.batch)
            except Exception as exc:
                reply = exc
        else:
            await wait(step.seconds)
            reply = None


class ThreadWorker:
    """Runs flushes on a daemon thread."""

    def __init__(self, delivery: Delivery, http: httpx.Client, interval: float) -> None:
        self._delivery = delivery
        self._http = http
        self._interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="mosaicstack-telemetry-submitter", daemon=True
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """Flush now instead of at the end of the interval (safe from any thread)."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Interrupt any wait, run the final flush and join the thread."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("Telemetry submitter did not stop within %.1f s", timeout or 0.0)

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            stopping = self._stop.is_set()
            try:
                run_steps(self._delivery.flush(), self._send, self._stop.wait)
            except Exception:
                logger.exception("Telemetry submitter failed; will try again next cycle")
            if stopping:
                return

    def _send(self, batch: BatchEventRequest) -> BatchEventResponse:
        return endpoints.submit_events_batch(self._http, batch)


class AsyncWorker:
    """Runs flushes as an asyncio task on the loop that started it."""

    def __init__(self, delivery: Delivery, http: httpx.AsyncClient, interval: float) -> None:
        import asyncio  # here, not at the top: thread-driver users never pay for importing it

        self._delivery = delivery
        self._http = http
        self._interval = interval
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Create the task."""
        self._task = self._loop.create_task(self._run(), name="mosaicstack-telemetry-submitter")

    def wake(self) -> None:
        """Flush now instead of at the end of the interval (safe from any thread)."""
        # A loop that already ended (stop_async() never awaited) cannot be woken; the event is
        # queued all the same and goes out on a later start.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Interrupt any wait, run the final flush and await the task."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            await self._task

    @property
    def alive(self) -> bool:
        """Whether the task is running."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            await self._sleep_until(self._wake, self._interval)
            self._wake.clear()
            stopping = self._stop.is_set()
            try:
                await run_steps_async(self._delivery.flush(), self._send, self._wait)
            except Exception:
                logger.exception("Telemetry submitter failed; will try again next cycle")
            if stopping:
                return

    async def _wait(self, seconds: float) -> None:
        await self._sleep_until(self._stop, seconds)

    @staticmethod
    async def _sleep_until(event: asyncio.Event, seconds: float) -> None:
        import asyncio  # already loaded: AsyncWorker.__init__ imported it

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def _send(self, batch: BatchEventRequest) -> BatchEventResponse:
        return await endpoints.submit_events_batch_async(self._http, batch)
