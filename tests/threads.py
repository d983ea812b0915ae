"""See which threads code starts: a spy around the real `threading.Thread.start`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

SUBMITTER = "mosaicstack-telemetry-submitter"


@contextmanager
def thread_starts() -> Iterator[list[threading.Thread]]:
    """Yield a list that collects every thread started (for real) inside the block."""
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self)
        real_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        yield started
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]


def submitters(threads: list[threading.Thread]) -> list[threading.Thread]:
    """The SDK's background submitter threads among `threads`."""
    return [t for t in threads if t.name == SUBMITTER]


def live_submitters() -> list[threading.Thread]:
    """Submitter threads alive right now in this process."""
    return submitters(threading.enumerate())
