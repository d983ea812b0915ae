"""EventQueue: the bounded, thread-safe FIFO between track() and the submitter."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from ._models import TaskCompletionEvent

logger = logging.getLogger("mosaicstack_telemetry")


class EventQueue:
    """Thread-safe bounded FIFO queue. When full, the oldest events are evicted (and counted)."""

    def __init__(self, max_size: int = 1000) -> None:
        self._max_size = max(1, max_size)
        self._items: deque[TaskCompletionEvent] = deque()
        self._lock = threading.Lock()
        self._warned = False
        self._signalled = False
        self.evicted = 0
        """How many events were evicted because the queue was full."""
        self.on_threshold: Callable[[], None] | None = None
        """Called (outside the lock) once the queue holds `threshold` events, until drained."""
        self.threshold = 0

    @property
    def max_size(self) -> int:
        """Capacity of the queue."""
        return self._max_size

    def put(self, event: TaskCompletionEvent) -> None:
        """Add an event; if the queue is full, evict the oldest one first."""
        with self._lock:
            items = self._items
            if len(items) >= self._max_size:
                items.popleft()
                self.evicted += 1
                warn, self._warned = not self._warned, True
            else:
                warn = False
            items.append(event)
            # Signal once per fill-up, not on every put past the threshold.
            wake = not self._signalled and len(items) >= self.threshold > 0
            if wake and self.on_threshold is not None:
                self._signalled = True
        if warn:
            logger.warning(
                "Telemetry queue is full (max_queue_size=%d): evicting the oldest events",
                self._max_size,
            )
        if wake and self.on_threshold is not None:
            self.on_threshold()

    def drain(self, max_items: int) -> list[TaskCompletionEvent]:
        """Remove and return up to max_items events, oldest first."""
        with self._lock:
            items = self._items
            count = min(max_items, len(items))
            batch = [items.popleft() for _ in range(count)]
            self._signalled = False
            if not items:
                self._warned = False
            return batch

    def put_back(self, events: list[TaskCompletionEvent]) -> None:
        """Re-queue events at the front, in order; the oldest are evicted if they would not fit."""
        with self._lock:
            free = self._max_size - len(self._items)
            overflow = max(0, len(events) - free)
            self._items.extendleft(reversed(events[overflow:]))
            self.evicted += overflow
        if overflow:
            logger.warning(
                "Telemetry queue is full (max_queue_size=%d): %d re-queued events evicted",
                self._max_size,
                overflow,
            )

    @property
    def size(self) -> int:
        """Current number of queued events."""
        return len(self._items)

    @property
    def is_empty(self) -> bool:
        """Whether the queue is empty."""
        return not self._items
