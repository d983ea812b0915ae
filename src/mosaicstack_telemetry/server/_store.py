"""SQLite storage for the local server: events (deduplicated by event_id), API keys, counters.

One connection in WAL mode, guarded by a lock: request handlers run in a thread pool, and a
local server's write rate does not need more than one writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

from .._generated import models as gen

# The dimension columns a prediction filters on; the index covers every fallback level as a
# prefix because fallback drops model, then provider, then complexity.
DIMENSIONS = ("task_type", "model", "provider", "complexity")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    task_type TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    complexity TEXT NOT NULL,
    task_duration_ms INTEGER NOT NULL,
    estimated_input_tokens INTEGER NOT NULL,
    estimated_output_tokens INTEGER NOT NULL,
    actual_input_tokens INTEGER NOT NULL,
    actual_output_tokens INTEGER NOT NULL,
    actual_cost_usd_micros INTEGER NOT NULL,
    quality_gate_passed INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_dimensions
    ON events (task_type, complexity, provider, model);
CREATE TABLE IF NOT EXISTS api_keys (
    key_sha256 TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


class Sample(NamedTuple):
    """The columns of one stored event that a prediction uses."""

    task_duration_ms: int
    estimated_input_tokens: int
    estimated_output_tokens: int
    actual_input_tokens: int
    actual_output_tokens: int
    actual_cost_usd_micros: int
    quality_gate_passed: bool
    outcome: str


@dataclass(frozen=True)
class StoreStats:
    """Counts for tests and operators: events stored, duplicates rejected, keys registered."""

    events: int
    duplicates_rejected: int
    api_keys: int


class KeyRecord(NamedTuple):
    """What may be shown about a registered API key: whom it belongs to and since when."""

    instance_id: str
    created_at: str


class StoreError(Exception):
    """The database file cannot be opened or created; the message says why, for a user."""


def open_store(path: str | Path, *, must_exist: bool = False) -> Store:
    """A Store on `path`, or StoreError with a plain reason (no traceback material)."""
    where = Path(path)
    if where.is_dir():
        raise StoreError(f"{where} is a folder, not a database file")
    if not where.exists():
        if must_exist:
            raise StoreError(
                f"no database at {where} (`mosaic-telemetry serve --db {where}` creates one)"
            )
        if not where.parent.is_dir():
            raise StoreError(f"cannot create {where}: the folder {where.parent} does not exist")
    try:
        return Store(where)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the database {where}: {exc}") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Store:
    """The local server's SQLite database; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL is durable across application crashes, as a restart needs.
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def add_events(self, events: Sequence[gen.TaskCompletionEvent]) -> list[bool]:
        """Store events in one transaction; per event, True if stored, False if a duplicate."""
        received = _now()
        stored: list[bool] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for event in events:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO events VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            str(event.event_id),
                            str(event.instance_id),
                            received,
                            event.task_type.value,
                            event.model,
                            event.provider.value,
                            event.complexity.value,
                            event.task_duration_ms,
                            event.estimated_input_tokens,
                            event.estimated_output_tokens,
                            event.actual_input_tokens,
                            event.actual_output_tokens,
                            event.actual_cost_usd_micros,
                            int(event.quality_gate_passed),
                            event.outcome.value,
                            event.model_dump_json(),
                        ),
                    )
                    stored.append(cursor.rowcount == 1)
                duplicates = stored.count(False)
                if duplicates:
                    self._db.execute(
                        "INSERT INTO counters VALUES ('duplicates_rejected', ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                        (duplicates,),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stored

    def samples(self, filters: Mapping[str, str]) -> list[Sample]:
        """The prediction columns of every stored event whose dimensions equal `filters`."""
        unknown = set(filters) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"not a dimension: {sorted(unknown)}")
        # Column names come from DIMENSIONS only (checked above); values are bound parameters.
        where = " AND ".join(f"{name} = ?" for name in filters) or "1"
        sql = f"SELECT {', '.join(Sample._fields)} FROM events WHERE {where}"
        with self._lock:
            rows = self._db.execute(sql, tuple(filters.values())).fetchall()
        return [
            Sample(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])
            for row in rows
        ]

    def add_key(self, key_sha256: str, instance_id: str) -> None:
        """Register (or re-bind) a hashed API key to an instance id."""
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?) "
                "ON CONFLICT(key_sha256) DO UPDATE SET instance_id = excluded.instance_id",
                (key_sha256, instance_id, _now()),
            )

    def instance_for_key(self, key_sha256: str) -> str | None:
        """The instance id a hashed key belongs to, or None for an unknown key."""
        with self._lock:
            row = self._db.execute(
                "SELECT instance_id FROM api_keys WHERE key_sha256 = ?", (key_sha256,)
            ).fetchone()
        return None if row is None else str(row[0])

    def keys(self) -> list[KeyRecord]:
        """Every registered key's instance id and creation time, oldest first; never the keys."""
        with self._lock:
            rows = self._db.execute(
                "SELECT instance_id, created_at FROM api_keys ORDER BY created_at, instance_id"
            ).fetchall()
        return [KeyRecord(str(row[0]), str(row[1])) for row in rows]

    def stats(self) -> StoreStats:
        """Current counts of events, rejected duplicates and API keys."""
        with self._lock:
            events = self._db.execute("SELECT count(*) FROM events").fetchone()[0]
            dup = self._db.execute(
                "SELECT value FROM counters WHERE name = 'duplicates_rejected'"
            ).fetchone()
            keys = self._db.execute("SELECT count(*) FROM api_keys").fetchone()[0]
        return StoreStats(int(events), int(dup[0]) if dup else 0, int(keys))
