"""Transparent stream wrappers: yield every item unchanged, feed an accumulator, report once.

A wrapper proxies every other attribute to the wrapped stream (so `stream.response`,
`stream.get_final_message()` and the like keep working) and the context-manager protocol.
It reports the accumulated LlmUsage exactly once: on exhaustion, `close()`, an exception
(cancellation included) while iterating, leaving the `with` block, or garbage collection.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any

from ._accumulate import UsageAccumulator, accumulator_for
from ._usage import LlmUsage, family_for_provider, family_of

logger = logging.getLogger("mosaicstack_telemetry")

OnUsage = Callable[[LlmUsage], None]

# Attributes of the SDKs' stream helpers that hold the message accumulated so far: read at the
# end, so usage is still right when the caller consumed the stream through a helper method
# (`text_stream`, `get_final_message()`, `until_done()`) rather than by iterating the wrapper.
_SNAPSHOTS = ("current_message_snapshot", "current_completion_snapshot")


class _Report:
    """The accumulator of one stream and its one-time report."""

    __slots__ = ("accumulator", "done", "on_usage", "provider", "source")

    def __init__(self, source: Any, on_usage: OnUsage, provider: str | None) -> None:
        self.source = source
        self.on_usage = on_usage
        self.provider = provider
        self.accumulator: UsageAccumulator | None = None
        self.done = False

    def accumulator_of(self, item: Any) -> UsageAccumulator:
        """The stream's accumulator, chosen by the shape of its first item."""
        if self.accumulator is None:
            family = family_of(item) or family_for_provider(self.provider)
            if family is None:
                logger.warning("An LLM stream's items have no known provider shape; no usage")
                self.accumulator = _Passthrough()
            else:
                self.accumulator = accumulator_for(family, self.provider)
        return self.accumulator

    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self._feed_snapshot()
        except Exception:
            logger.debug("Could not read an LLM stream helper's snapshot", exc_info=True)
        try:
            self.on_usage(self.usage())
        except Exception:
            logger.exception("Could not report the usage of an LLM stream")

    def usage(self) -> LlmUsage:
        if self.accumulator is None:
            family = family_for_provider(self.provider)
            if family is None:
                return LlmUsage(provider=self.provider or "unknown", status="missing")
            self.accumulator = accumulator_for(family, self.provider)
        return self.accumulator.result()

    def _feed_snapshot(self) -> None:
        for name in _SNAPSHOTS:
            try:
                snapshot = getattr(self.source, name, None)
            except Exception:  # the helpers assert that a snapshot exists
                continue
            if snapshot is None:
                continue
            self.accumulator_of(snapshot).feed(snapshot)


class _Passthrough:
    """Stands in for an accumulator when the stream's shape is not recognised."""

    __slots__ = ()

    def feed(self, item: Any) -> None:
        pass

    def result(self) -> LlmUsage:
        return LlmUsage(provider="unknown", status="missing")


class StreamWrapper:
    """Wraps a sync stream (an SDK Stream, a generator, the helpers' MessageStream...)."""

    __slots__ = ("__weakref__", "_items", "_report", "_stream")

    def __init__(self, stream: Any, on_usage: OnUsage, provider: str | None = None) -> None:
        self._stream = stream
        self._report = _Report(stream, on_usage, provider)
        self._items = self._generate(iter(stream))

    def _generate(self, iterator: Iterator[Any]) -> Generator[Any, None, None]:
        # A generator: resuming one costs less than a Python-level __next__ per chunk. Its
        # `finally` reports on exhaustion, on an error (re-raised) and when it is closed.
        report = self._report
        try:
            for item in iterator:
                feed = report.accumulator_of(item).feed
                feed(item)
                yield item
                break
            else:
                return
            for item in iterator:
                feed(item)
                yield item
        finally:
            report.finish()

    def __iter__(self) -> Iterator[Any]:
        return self._items

    def _finish_report(self) -> None:
        self._report.finish()

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        """Close the wrapped stream and report its usage so far."""
        try:
            close = getattr(self._stream, "close", None)
            if close is not None:
                close()
        finally:
            self._report.finish()
            self._items.close()

    def __enter__(self) -> StreamWrapper:
        enter = getattr(self._stream, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            exit_ = getattr(self._stream, "__exit__", None)
            return exit_(*exc_info) if exit_ is not None else None
        finally:
            self._report.finish()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __del__(self) -> None:
        report = getattr(self, "_report", None)
        if report is not None and not report.done:
            report.finish()


class AsyncStreamWrapper:
    """Wraps an async stream (an SDK AsyncStream, an async generator...)."""

    __slots__ = ("__weakref__", "_items", "_report", "_stream")

    def __init__(self, stream: Any, on_usage: OnUsage, provider: str | None = None) -> None:
        self._stream = stream
        self._report = _Report(stream, on_usage, provider)
        self._items = self._generate(stream.__aiter__())

    async def _generate(self, iterator: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
        # `finally` runs on exhaustion, errors, cancellation (CancelledError) and aclose().
        report = self._report
        try:
            async for item in iterator:
                feed = report.accumulator_of(item).feed
                feed(item)
                yield item
                break
            else:
                return
            async for item in iterator:
                feed(item)
                yield item
        finally:
            report.finish()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._items

    def _finish_report(self) -> None:
        self._report.finish()

    async def __anext__(self) -> Any:
        return await self._items.__anext__()

    async def close(self) -> None:
        """Close the wrapped stream and report its usage so far."""
        try:
            close = getattr(self._stream, "close", None) or getattr(self._stream, "aclose", None)
            if close is not None:
                await close()
        finally:
            self._report.finish()
            await self._items.aclose()

    async def aclose(self) -> None:
        """Close the wrapped stream (async generators' spelling) and report its usage so far."""
        await self.close()

    async def __aenter__(self) -> AsyncStreamWrapper:
        enter = getattr(self._stream, "__aenter__", None)
        if enter is not None:
            await enter()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            exit_ = getattr(self._stream, "__aexit__", None)
            return await exit_(*exc_info) if exit_ is not None else None
        finally:
            self._report.finish()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __del__(self) -> None:
        report = getattr(self, "_report", None)
        if report is not None and not report.done:
            report.finish()


class StreamManagerWrapper:
    """Wraps a stream helper used as `with ... as stream:` (Anthropic's `messages.stream()`)."""

    def __init__(self, manager: Any, on_usage: OnUsage, provider: str | None = None) -> None:
        self._manager = manager
        self._on_usage = on_usage
        self._provider = provider
        self._stream: StreamWrapper | None = None

    def __enter__(self) -> StreamWrapper:
        self._stream = StreamWrapper(self._manager.__enter__(), self._on_usage, self._provider)
        return self._stream

    def _finish_report(self) -> None:
        if self._stream is not None:  # never entered: no request was made
            self._stream._finish_report()

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self._manager.__exit__(*exc_info)
        finally:
            self._finish_report()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


class AsyncStreamManagerWrapper:
    """Wraps an async stream helper used as `async with ... as stream:`."""

    def __init__(self, manager: Any, on_usage: OnUsage, provider: str | None = None) -> None:
        self._manager = manager
        self._on_usage = on_usage
        self._provider = provider
        self._stream: AsyncStreamWrapper | None = None

    async def __aenter__(self) -> AsyncStreamWrapper:
        inner = await self._manager.__aenter__()
        self._stream = AsyncStreamWrapper(inner, self._on_usage, self._provider)
        return self._stream

    def _finish_report(self) -> None:
        if self._stream is not None:  # never entered: no request was made
            self._stream._finish_report()

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            self._finish_report()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


def wrap_stream(stream: Any, on_usage: OnUsage, provider: str | None = None) -> Any:
    """Wrap any provider's sync or async stream (or stream helper); `on_usage` gets one LlmUsage.

    The wrapper yields every item unchanged; `on_usage` is called exactly once, when the stream
    ends, is closed, fails, or is left (`with` block, garbage collection).
    """
    if hasattr(stream, "__aiter__"):
        return AsyncStreamWrapper(stream, on_usage, provider)
    if hasattr(stream, "__iter__"):
        return StreamWrapper(stream, on_usage, provider)
    if hasattr(stream, "__aenter__"):
        return AsyncStreamManagerWrapper(stream, on_usage, provider)
    if hasattr(stream, "__enter__"):
        return StreamManagerWrapper(stream, on_usage, provider)
    raise TypeError(f"not a stream: {type(stream).__name__} is neither iterable nor a context")
