"""EventQueue: the bounded, thread-safe FIFO between track() and the submitter."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from ._models import TaskCompletionEvent

logger = logging.getLogger("mosaicstack_telemetry")

# With a spool, events pushed out of a full queue are handed over this many at a time.
OVERFLOW_CHUNK = 100


class EventQueue:
    """Thread-safe bounded FIFO queue. When full, the oldest events are evicted (and counted),
    or, with `on_overflow` set, collected and handed to it (the spool) in chunks."""

    def __init__(self, max_size: int = 1000) -> None:
        self._max_size = max(1, max_size)
        self._items: deque[TaskCompletionEvent] = deque()
        # Reentrant: a SIGTERM handler may flush on the thread that is inside put().
        self._lock = threading.RLock()
        self._warned = False
        self._signalled = False
        self._overflow: list[TaskCompletionEvent] = []
        self.evicted = 0
        """How many events were evicted because the queue was full (and not spooled)."""
        self.on_threshold: Callable[[], None] | None = None
        """Called (outside the lock) once the queue holds `threshold` events, until drained."""
        self.threshold = 0
        self.on_overflow: Callable[[list[TaskCompletionEvent]], None] | None = None
        """With a spool: receives evicted events (outside the lock), OVERFLOW_CHUNK at a time."""

    @property
    def max_size(self) -> int:
        """Capacity of the queue."""
        return self._max_size

    def put(self, event: TaskCompletionEvent) -> None:
        """Add an event; if the queue is full, evict the oldest one first."""
        spill: list[TaskCompletionEvent] | None = None
        with self._lock:
            items = self._items
            if len(items) >= self._max_size:
                spill = self._evict([items.popleft()])
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
                "Telemetry queue is full (max_queue_size=%d): %s",
                self._max_size,
                "spooling the oldest events"
                if self.on_overflow is not None
                else "evicting the oldest events",
            )
        if spill:
            self._spill(spill)
        if wake and self.on_threshold is not None:
            self.on_threshold()

    def _evict(self, events: list[TaskCompletionEvent]) -> list[TaskCompletionEvent] | None:
        """Under the lock: count evicted events, or collect them for the spool; a full chunk
        is returned to be handed over outside the lock."""
        if self.on_overflow is None:
            self.evicted += len(events)
            return None
        self._overflow.extend(events)
        if len(self._overflow) < OVERFLOW_CHUNK:
            return None
        chunk, self._overflow = self._overflow, []
        return chunk

    def _spill(self, events: list[TaskCompletionEvent]) -> None:
        handler = self.on_overflow
        if handler is None:
            with self._lock:
                self.evicted += len(events)
            return
        handler(events)

    def take_overflow(self) -> list[TaskCompletionEvent]:
        """Evicted events not yet handed to the spool (at stop, they go there too)."""
        with self._lock:
            chunk, self._overflow = self._overflow, []
            return chunk

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
            spill = self._evict(events[:overflow]) if overflow else None
        if overflow and self.on_overflow is None:
            logger.warning(
                "Telemetry queue is full (max_queue_size=%d): %d re-queued events evicted",
                self._max_size,
                overflow,
            )
        if spill:
            self._spill(spill)

    def free(self) -> int:
        """How many events fit before the queue is full."""
        return max(0, self._max_size - len(self._items))

    def reset_after_fork(self) -> None:
        """In a forked child: a fresh lock and no events (the parent's stay the parent's)."""
        self._lock = threading.RLock()
        self._items = deque()
        self._overflow = []
        self._warned = self._signalled = False
        self.evicted = 0

    @property
    def size(self) -> int:
        """Current number of queued events."""
        return len(self._items)

    @property
    def is_empty(self) -> bool:
        """Whether the queue is empty."""
        return not self._items
