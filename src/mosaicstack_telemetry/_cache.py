"""PredictionCache: prediction responses kept for a TTL, keyed by the query's four dimensions.

Constructed as documented (`PredictionCache(ttl_seconds)`), it is a dict with a TTL: an entry
older than the TTL is gone. Two keyword-only additions serve the client's persisted,
stale-while-revalidate mode: `max_stale_seconds` keeps an expired entry that much longer for
`lookup()` (which says how old it is), and `store` persists every entry so that other processes
see it (`_prediction_store.PredictionStore`, in which case `clock` must be wall-clock time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from ._generated.models import PredictionQuery, PredictionResponse
from ._prediction_rows import response_from_json

if TYPE_CHECKING:
    from ._prediction_store import PredictionStore

logger = logging.getLogger("mosaicstack_telemetry")

_Key = tuple[str, str, str, str]

# A miss or a stale entry looks at the file again at most this often (per query), so a hot loop
# of lookups stays in memory while another process's refresh still shows up within a second.
_RECHECK_SECONDS = 1.0
_NEVER = float("-inf")
_MAX_CHECKED = 4096


def _value(member: object) -> str:
    # Enum .value, never str(member): str() of a str-mixin Enum differs between 3.10 and 3.11.
    if type(member) is str:
        return member  # the common case first: estimate() takes plain strings too
    return member.value if isinstance(member, Enum) else str(member)


def cache_key(query: PredictionQuery) -> _Key:
    """The cache key of a query: (task_type, model, provider, complexity) as plain strings."""
    return (_value(query.task_type), query.model, _value(query.provider), _value(query.complexity))


class CachedPrediction(NamedTuple):
    """A cached response, its age in seconds and whether it is past its TTL."""

    response: PredictionResponse
    age_seconds: float
    stale: bool


class PredictionCache:
    """Thread-safe dict-based cache with TTL expiration."""

    def __init__(
        self,
        ttl_seconds: float = 21600.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_stale_seconds: float = 0.0,
        store: PredictionStore | None = None,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._keep = ttl_seconds + max(0.0, max_stale_seconds)
        self._store = store
        self._entries: dict[_Key, tuple[float, PredictionResponse]] = {}
        self._checked: dict[_Key, float] = {}  # when the store was last read for a key
        self._lock = threading.Lock()

    @property
    def ttl_seconds(self) -> float:
        """How long an entry is fresh."""
        return self._ttl

    def get(self, query: PredictionQuery) -> PredictionResponse | None:
        """Return the cached prediction, or None if absent or expired."""
        found = self.lookup(cache_key(query))
        return None if found is None or found.stale else found.response

    def lookup(self, key: _Key) -> CachedPrediction | None:
        """The entry for a key with its age, stale ones included up to max_stale_seconds."""
        now = self._clock()
        entry = self._entries.get(key)  # no lock: a dict read is atomic; writers replace entries
        if self._store is not None and (entry is None or now - entry[0] >= self._ttl):
            entry = self._reload(key, entry, now)
        if entry is None:
            return None
        fetched_at, response = entry
        age = now - fetched_at
        if age >= self._keep:
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            return None
        return CachedPrediction(response, max(0.0, age), age >= self._ttl)

    def put(self, query: PredictionQuery, response: PredictionResponse) -> None:
        """Store a prediction for ttl_seconds."""
        self.put_many([(cache_key(query), response)])

    def put_many(self, items: Iterable[tuple[_Key, PredictionResponse]]) -> None:
        """Store several predictions fetched now (one write to the store)."""
        now = self._clock()
        pairs = list(items)
        with self._lock:
            for key, response in pairs:
                self._entries[key] = (now, response)
        if self._store is not None:
            self._store.save(
                ((key, response.model_dump_json()) for key, response in pairs), now, self._keep
            )

    def clear(self) -> None:
        """Invalidate all entries."""
        with self._lock:
            self._entries.clear()
            self._checked.clear()
        if self._store is not None:
            self._store.clear()

    def reset_after_fork(self) -> None:
        """In a fork child: a fresh lock (a parent thread may have held it at the fork)."""
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Number of entries, including possibly expired ones."""
        return len(self._entries)

    def _reload(
        self, key: _Key, entry: tuple[float, PredictionResponse] | None, now: float
    ) -> tuple[float, PredictionResponse] | None:
        """A fresher entry from the store, if another process (or run) saved one."""
        assert self._store is not None
        if now - self._checked.get(key, _NEVER) < _RECHECK_SECONDS:
            return entry  # looked at the file a moment ago (a lock-free read: dicts are atomic)
        with self._lock:
            if len(self._checked) >= _MAX_CHECKED:
                self._checked.clear()  # many distinct queries: forgetting only costs a read
            self._checked[key] = now
        row = self._store.read(key)
        if row is None or (entry is not None and row.fetched_at <= entry[0]):
            return entry
        try:
            response = response_from_json(row.response)
        except ValueError:
            logger.warning("Ignoring an unreadable prediction in %s", self._store.path)
            return entry
        loaded = (row.fetched_at, response)
        with self._lock:
            current = self._entries.get(key)
            if current is None or current[0] < row.fetched_at:
                self._entries[key] = loaded
        return loaded
