"""Events tracked by a client that was never started: warned about and counted at exit."""

from __future__ import annotations

import logging

from ._delivery import DeliveryStats
from ._queue import EventQueue

logger = logging.getLogger("mosaicstack_telemetry")


class NeverStartedWatch:
    """An atexit hook: the queue of a client that was never started is lost; say so, once.

    Holds the queue and the counters, not the client, so a client dropped early is reported too.
    """

    def __init__(self, queue: EventQueue, stats: DeliveryStats) -> None:
        self._queue = queue
        self._stats = stats

    def __call__(self) -> None:
        left = self._queue.size
        if not left:
            return
        self._stats.unsent_at_exit += left
        logger.warning(
            "%d telemetry %s tracked but never sent: the TelemetryClient was never started. "
            "Call client.start() (or await client.start_async(), or use `with "
            "TelemetryClient(config) as client:`) before tracking, and client.stop() before exit",
            left,
            "event was" if left == 1 else "events were",
        )
