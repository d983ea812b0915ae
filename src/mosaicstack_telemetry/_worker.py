"""The drivers of Delivery.flush(): a thread worker, an asyncio worker, and one-shot runners.

They only perform the steps Delivery decides on: send a batch over HTTP within a total time
budget, or wait. A worker wakes every `interval` seconds, when the queue fills a batch, and on
stop(); stop() wakes it at once, lets its flushes finish under the stop deadline (set on the
Delivery), and runs one final flush. Nothing here decides what to send or when.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from queue import SimpleQueue
from typing import TYPE_CHECKING

from ._delivery import Delivery, FlushResult, Reply, Send, Steps
from ._errors import DeadlineExceeded
from ._forksafety import before_fork_can, warm_up
from ._generated.models import BatchEventRequest, BatchEventResponse

if TYPE_CHECKING:
    import asyncio

    # httpx (and the endpoint stubs that use it) load in start() or a flush, not in the
    # host's track() path: it is most of a cold start's import time (docs/performance.md).
    import httpx

logger = logging.getLogger("mosaicstack_telemetry")


def run_steps(
    steps: Steps,
    send: Callable[[BatchEventRequest, float], BatchEventResponse],
    wait: Callable[[float], object],
) -> FlushResult:
    """Drive a flush synchronously; closing it on the way out puts back what it still holds."""
    reply: Reply = None
    try:
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as done:
                result: FlushResult = done.value
                return result
            if isinstance(step, Send):
                try:
                    reply = send(step.batch, step.timeout)
                except Exception as exc:
                    reply = exc
            else:
                wait(step.seconds)
                reply = None
    finally:
        steps.close()


async def run_steps_async(
    steps: Steps,
    send: Callable[[BatchEventRequest, float], Awaitable[BatchEventResponse]],
    wait: Callable[[float], Awaitable[object]],
) -> FlushResult:
    """Drive a flush on the event loop; a cancelled flush puts back what it still holds."""
    reply: Reply = None
    try:
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as done:
                result: FlushResult = done.value
                return result
            if isinstance(step, Send):
                try:
                    reply = await send(step.batch, step.timeout)
                except Exception as exc:
                    reply = exc
            else:
                await wait(step.seconds)
                reply = None
    finally:
        steps.close()


class RequestThread:
    """A reusable helper thread that runs one request at a time, so that the caller can give up
    waiting for it at a total deadline.

    httpx's timeouts bound each read, not the request, so a server trickling its answer could
    stretch it without end. A request still running at its deadline is abandoned (its late
    answer ignored): its thread ends after it, and the next request gets a new thread.
    """

    def __init__(self) -> None:
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._thread: threading.Thread | None = None

    def call(self, request: Callable[[], BatchEventResponse], timeout: float) -> BatchEventResponse:
        """Run `request` on the helper thread; DeadlineExceeded if it takes over `timeout` s."""
        if self._thread is None:
            thread = threading.Thread(
                target=self._serve, args=(self._jobs,), name="mosaicstack-telemetry-request",
                daemon=True,
            )  # fmt: skip
            try:
                thread.start()
            except RuntimeError:
                # No new threads at interpreter shutdown (3.12+): send here, each read bounded.
                return request()
            self._thread = thread
        job = _Job(request)
        self._jobs.put(job)
        if not job.done.wait(max(0.0, timeout)):
            # Abandoned: that thread ends once the request does; the next call starts another.
            self._jobs.put(None)
            self._jobs = SimpleQueue()
            self._thread = None
            raise DeadlineExceeded(f"no complete answer within {timeout:.1f} s")
        answer = job.outcome[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Let the helper thread end once it is idle."""
        self._jobs.put(None)
        self._thread = None

    @staticmethod
    def _serve(jobs: SimpleQueue[_Job | None]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            try:
                job.outcome.append(job.request())
            except BaseException as exc:  # handed to the caller, whatever it is
                job.outcome.append(exc)
            finally:
                job.done.set()


class _Job:
    __slots__ = ("done", "outcome", "request")

    def __init__(self, request: Callable[[], BatchEventResponse]) -> None:
        self.request = request
        self.outcome: list[BatchEventResponse | BaseException] = []
        self.done = threading.Event()


def send_within(http: httpx.Client, batch: BatchEventRequest, timeout: float) -> BatchEventResponse:
    """POST a batch; the whole request must end within `timeout` seconds (a one-off helper)."""
    import httpx

    from ._generated import endpoints

    helper = RequestThread()
    # Where no helper thread can start (interpreter shutdown, 3.12+) the request runs here, so
    # each of its reads is bounded by the time left instead of the configured timeout.
    previous = http.timeout
    http.timeout = httpx.Timeout(max(0.001, timeout)) if timeout < 600 else previous
    try:
        return helper.call(lambda: endpoints.submit_events_batch(http, batch), timeout)
    finally:
        http.timeout = previous
        helper.close()


async def send_within_async(
    http: httpx.AsyncClient, batch: BatchEventRequest, timeout: float
) -> BatchEventResponse:
    """POST a batch on the event loop; cancelled when `timeout` seconds have passed."""
    import asyncio  # already loaded by any asyncio caller

    from ._generated import endpoints

    try:
        return await asyncio.wait_for(
            endpoints.submit_events_batch_async(http, batch), max(0.0, timeout)
        )
    except asyncio.TimeoutError:
        raise DeadlineExceeded(f"no complete answer within {timeout:.1f} s") from None


class ThreadWorker:
    """Runs flushes on a daemon thread."""

    def __init__(
        self,
        delivery: Delivery,
        http: Callable[[], httpx.Client],
        interval: float,
        before_cycle: Callable[[], None] | None = None,
    ) -> None:
        self._delivery = delivery
        self._http = http
        self._interval = interval
        self._before_cycle = before_cycle
        self._stopping = False
        self._retired = False
        self._kick = threading.Event()
        self._requests = RequestThread()
        self._thread = threading.Thread(
            target=self._run, name="mosaicstack-telemetry-submitter", daemon=True
        )

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """Flush now instead of at the end of the interval (safe from any thread)."""
        self._kick.set()

    def stop(self, deadline: float) -> bool:
        """Wake the thread for its final flush and join it until `deadline` (monotonic).

        The caller has bounded the Delivery by the same deadline. False if the thread is still
        busy at the deadline (the caller then abandons what it holds).
        """
        self._stopping = True
        self._kick.set()
        if self._thread is threading.current_thread():
            return False
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            # Given up on: it must not start a flush once stop() has returned (the client's
            # own flush() and a later start() own the queue then).
            self._retired = True
            return False
        return True

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            try:
                warm_up()  # before the first request, and never half done when the host forks
                # The HTTP client too: made here, where a fork waits for it, so its making (an
                # SSL context) is never half done in a forked child.
                before_fork_can(self._http)
            except Exception:
                logger.exception("Telemetry submitter could not prepare its first request")
            while True:
                if not self._stopping:
                    self._kick.wait(self._interval)
                self._kick.clear()
                stopping = self._stopping
                if self._retired:
                    return
                try:
                    if not stopping and self._before_cycle is not None:
                        self._before_cycle()
                    run_steps(self._delivery.flush(), self._send, self._wait)
                except Exception:
                    logger.exception("Telemetry submitter failed; will try again next cycle")
                if stopping:
                    return
        finally:
            self._requests.close()

    def _send(self, batch: BatchEventRequest, timeout: float) -> BatchEventResponse:
        from ._generated import endpoints  # loaded by warm_up() on this thread

        http = self._http()  # made in _run(), on this thread: start() stays cheap
        return self._requests.call(lambda: endpoints.submit_events_batch(http, batch), timeout)

    def _wait(self, seconds: float) -> None:
        # Woken early by stop() (or a full batch): Delivery re-reads the clock and decides again.
        self._kick.wait(seconds)
        self._kick.clear()


class AsyncWorker:
    """Runs flushes as an asyncio task on the loop that started it."""

    def __init__(
        self,
        delivery: Delivery,
        http: Callable[[], httpx.AsyncClient],
        interval: float,
        before_cycle: Callable[[], None] | None = None,
    ) -> None:
        import asyncio  # here, not at the top: thread-driver users never pay for importing it

        self._delivery = delivery
        self._http = http
        self._interval = interval
        self._before_cycle = before_cycle
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Create the task."""
        self._task = self._loop.create_task(self._run(), name="mosaicstack-telemetry-submitter")

    def wake(self) -> None:
        """Flush now instead of at the end of the interval (safe from any thread)."""
        # A loop that already ended (stop_async() never awaited) cannot be woken; the event is
        # queued all the same and goes out on a later start or at exit.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._kick.set)

    async def stop(self, deadline: float) -> bool:
        """Wake the task for its final flush and await it until `deadline` (monotonic); then
        cancel it. False if it had to be cancelled (the caller abandons what it holds)."""
        import asyncio

        self._stopping = True
        self._kick.set()
        task = self._task
        if task is None or task.done():
            return True
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if done:
            return True
        self._delivery.abandon()
        task.cancel()
        # The cancellation lands at the task's next await; wait for it only briefly.
        await asyncio.wait({task}, timeout=0.5)
        return False

    @property
    def alive(self) -> bool:
        """Whether the task is running."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            if not self._stopping:
                await self._sleep(self._interval)
            self._kick.clear()
            stopping = self._stopping
            try:
                if not stopping and self._before_cycle is not None:
                    self._before_cycle()
                await run_steps_async(self._delivery.flush(), self._send, self._wait)
            except Exception:
                logger.exception("Telemetry submitter failed; will try again next cycle")
            if stopping:
                return

    async def _wait(self, seconds: float) -> None:
        await self._sleep(seconds)
        self._kick.clear()

    async def _sleep(self, seconds: float) -> None:
        import asyncio  # already loaded: AsyncWorker.__init__ imported it

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._kick.wait(), seconds)

    async def _send(self, batch: BatchEventRequest, timeout: float) -> BatchEventResponse:
        return await send_within_async(self._http(), batch, timeout)
