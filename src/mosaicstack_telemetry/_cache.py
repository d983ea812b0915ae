"""PredictionCache: prediction responses kept for a TTL, keyed by the query's four dimensions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

from ._generated.models import PredictionQuery, PredictionResponse

_Key = tuple[str, str, str, str]


def _value(member: object) -> str:
    # Enum .value, never str(member): str() of a str-mixin Enum differs between 3.10 and 3.11.
    return member.value if isinstance(member, Enum) else str(member)


def cache_key(query: PredictionQuery) -> _Key:
    """The cache key of a query: (task_type, model, provider, complexity) as plain strings."""
    return (_value(query.task_type), query.model, _value(query.provider), _value(query.complexity))


class PredictionCache:
    """Thread-safe dict-based cache with TTL expiration."""

    def __init__(
        self, ttl_seconds: float = 21600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[_Key, tuple[float, PredictionResponse]] = {}
        self._lock = threading.Lock()

    def get(self, query: PredictionQuery) -> PredictionResponse | None:
        """Return the cached prediction, or None if absent or expired."""
        key = cache_key(query)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, response = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            return response

    def put(self, query: PredictionQuery, response: PredictionResponse) -> None:
        """Store a prediction for ttl_seconds."""
        with self._lock:
            self._entries[cache_key(query)] = (self._clock() + self._ttl, response)

    def clear(self) -> None:
        """Invalidate all entries."""
        with self._lock:
            self._entries.clear()

    @property
    def size(self) -> int:
        """Number of entries, including possibly expired ones."""
        return len(self._entries)
