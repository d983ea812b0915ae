"""PredictionStore: predictions persisted in one SQLite file per user, server and instance.

Every process of a user that talks to the same server as the same instance opens the same file,
so a short-lived tool starts with what earlier runs fetched. SQLite (WAL mode) makes concurrent
readers and writers safe; a claim column lets one process at a time refresh a query, so however
many processes share the file the server sees at most one request per query per TTL. The file is
bounded (`MAX_ENTRIES` rows, entries too old to serve are pruned). A corrupt file is moved aside
with a warning and a new one started; any other disk problem is logged once and turns
persistence into a no-op: predictions never break the host.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

if TYPE_CHECKING:
    import sqlite3

logger = logging.getLogger("mosaicstack_telemetry")

_T = TypeVar("_T")

Key = tuple[str, str, str, str]

MAX_ENTRIES = 1000
APP_DIR = "mosaicstack-telemetry"

# Readers run on the caller's thread: they must never wait long for another process's lock.
_READ_BUSY_MS = 50
_WRITE_BUSY_MS = 2000
_SEP = "\x1f"  # ASCII unit separator: cannot appear in a JSON-safe model name by accident

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    key TEXT PRIMARY KEY,
    response TEXT,
    fetched_at REAL,
    claimed_until REAL NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0
)
"""


def default_cache_dir() -> Path:
    """The per-user cache directory: XDG on Linux, ~/Library/Caches on macOS, LOCALAPPDATA."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP_DIR / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / APP_DIR
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base_dir = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base_dir / APP_DIR


def store_path(cache_dir: str | Path, server_url: str, instance_id: str) -> Path:
    """The file for one server and instance inside cache_dir (names hashed, never the key)."""
    digest = hashlib.sha256(f"{server_url}\n{instance_id}".encode()).hexdigest()[:16]
    return Path(cache_dir).expanduser() / f"predictions-{digest}.sqlite3"


class Row(NamedTuple):
    """A stored prediction: the response JSON and when it was fetched (wall clock)."""

    response: str
    fetched_at: float


@dataclass(frozen=True)
class Claim:
    """What a refresher may fetch now, and when each query it may not is worth a new look."""

    granted: list[Key]
    later: dict[Key, float]


def _text(key: Key) -> str:
    return _SEP.join(key)


def _key(text: str) -> Key:
    parts = text.split(_SEP)
    return (parts[0], parts[1], parts[2], parts[3])


class PredictionStore:
    """The SQLite file behind a PredictionCache; every method is safe to call and never raises."""

    def __init__(self, path: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        import sqlite3  # here: only clients that persist predictions pay for loading it

        self._sqlite = sqlite3
        self.path = path
        self._max_entries = max_entries
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._reader: _Connection | None = None
        self._writer: _Connection | None = None
        self._generation = 0  # bumped when a corrupt file is replaced: connections reopen
        self._pid = os.getpid()
        self._disabled = False
        self._warned: set[str] = set()

    # -- reads (the caller's thread) ----------------------------------------------------------

    def read(self, key: Key) -> Row | None:
        """The stored response for key, or None (also when the file does not exist yet)."""

        def work(conn: sqlite3.Connection) -> Row | None:
            found = conn.execute(
                "SELECT response, fetched_at FROM predictions "
                "WHERE key = ? AND response IS NOT NULL",
                (_text(key),),
            ).fetchone()
            return None if found is None else Row(found[0], found[1])

        return self._read(work)

    def read_all(self) -> dict[Key, Row]:
        """Every stored response."""

        def work(conn: sqlite3.Connection) -> dict[Key, Row]:
            rows = conn.execute(
                "SELECT key, response, fetched_at FROM predictions WHERE response IS NOT NULL"
            ).fetchall()
            return {_key(k): Row(r, f) for k, r, f in rows}

        return self._read(work) or {}

    def failures(self, keys: list[Key]) -> int:
        """The most consecutive failed refreshes of any of keys (for the backoff)."""

        def work(conn: sqlite3.Connection) -> int:
            most = 0
            for key in keys:
                found = conn.execute(
                    "SELECT failures FROM predictions WHERE key = ?", (_text(key),)
                ).fetchone()
                if found is not None:
                    most = max(most, int(found[0]))
            return most

        return self._read(work) or 0

    # -- writes (the refresher's thread, or refresh_predictions[_sync]) ------------------------

    def save(self, rows: Iterable[tuple[Key, str]], fetched_at: float, keep: float) -> None:
        """Store responses fetched at fetched_at; prune rows older than keep seconds and extras."""
        items = [(_text(key), response, fetched_at) for key, response in rows]
        if not items:
            return

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO predictions (key, response, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET response = excluded.response, "
                "fetched_at = excluded.fetched_at, claimed_until = 0, retry_at = 0, failures = 0",
                items,
            )
            conn.execute(
                "DELETE FROM predictions WHERE fetched_at IS NOT NULL AND fetched_at < ?",
                (fetched_at - keep,),
            )
            conn.execute(
                "DELETE FROM predictions WHERE key NOT IN (SELECT key FROM predictions "
                "ORDER BY COALESCE(fetched_at, claimed_until) DESC LIMIT ?)",
                (self._max_entries,),
            )

        self._write("write", work)

    def claim(self, keys: list[Key], now: float, ttl: float, hold: float) -> Claim:
        """Atomically take the refresh of each key that is due and that no other process holds.

        A key is due when it was never fetched or was fetched ttl or more seconds ago, and its
        backoff after a failure has passed. A granted key is held for `hold` seconds (or until
        saved or failed); a process that dies mid-request only delays the next one by that much.
        """
        if not keys:
            return Claim([], {})

        def work(conn: sqlite3.Connection) -> Claim:
            granted: list[Key] = []
            later: dict[Key, float] = {}
            for key in keys:
                text = _text(key)
                found = conn.execute(
                    "SELECT fetched_at, claimed_until, retry_at FROM predictions WHERE key = ?",
                    (text,),
                ).fetchone()
                if found is not None:
                    fetched_at, claimed_until, retry_at = found
                    fresh_until = -1.0 if fetched_at is None else fetched_at + ttl
                    not_before = max(claimed_until, retry_at, fresh_until)
                    if not_before > now:
                        later[key] = not_before
                        continue
                conn.execute(
                    "INSERT INTO predictions (key, claimed_until) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET claimed_until = excluded.claimed_until",
                    (text, now + hold),
                )
                granted.append(key)
            return Claim(granted, later)

        claim = self._write("claim", work)
        # The file could not be used: fetch anyway, as a client without persistence would.
        return Claim(list(keys), {}) if claim is None else claim

    def failed(self, keys: list[Key], retry_at: float) -> None:
        """Release keys whose refresh failed; nobody refreshes them again before retry_at."""

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE predictions SET claimed_until = 0, retry_at = ?, failures = failures + 1 "
                "WHERE key = ?",
                [(retry_at, _text(key)) for key in keys],
            )

        self._write("write", work)

    def release(self, keys: list[Key]) -> None:
        """Give up claims without a result (stopped before fetching them)."""

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE predictions SET claimed_until = 0 WHERE key = ?",
                [(_text(key),) for key in keys],
            )

        self._write("write", work)

    def clear(self) -> None:
        """Delete every stored prediction."""
        self._write("write", lambda conn: conn.execute("DELETE FROM predictions"))

    def reset_after_fork(self) -> None:
        """In a fork child: fresh locks; the parent's connections are dropped, never closed."""
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._reader = self._writer = None
        self._pid = os.getpid()

    def close(self) -> None:
        """Close both connections (they reopen on next use)."""
        with self._read_lock:
            self._close(self._reader)
            self._reader = None
        with self._write_lock:
            self._close(self._writer)
            self._writer = None

    # -- connections and failures --------------------------------------------------------------

    def _read(self, work: Callable[[sqlite3.Connection], _T]) -> _T | None:
        with self._read_lock, self._guard("read"):
            self._reader = self._fresh(self._reader)
            if self._reader is None:
                if self._disabled or not self.path.exists():
                    return None  # nothing persisted yet: a writer creates the file
                self._reader = _Connection(self._connect(_READ_BUSY_MS), self._generation)
            return work(self._reader.conn)
        return None

    def _write(self, what: str, work: Callable[[sqlite3.Connection], _T]) -> _T | None:
        with self._write_lock, self._guard(what):
            self._writer = self._fresh(self._writer)
            if self._writer is None:
                if self._disabled:
                    return None
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                conn = self._connect(_WRITE_BUSY_MS)
                try:
                    # WAL: readers never wait for a writer; NORMAL: no fsync per commit.
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute(_SCHEMA)
                except BaseException:
                    conn.close()
                    raise
                self._writer = _Connection(conn, self._generation)
            conn = self._writer.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                with contextlib.suppress(self._sqlite.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        return None

    def _connect(self, busy_ms: int) -> sqlite3.Connection:
        conn = self._sqlite.connect(
            str(self.path), timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
        return conn

    def _fresh(self, held: _Connection | None) -> _Connection | None:
        """held, unless it belongs to a replaced file or to the parent of a fork()."""
        if os.getpid() != self._pid:
            # A connection must not cross fork(): the child opens its own (never closing the
            # parent's, which would disturb the parent's file locks).
            self._pid = os.getpid()
            self._reader = self._writer = None
            return None
        if held is not None and held.generation != self._generation:
            self._close(held)
            return None
        return held

    def _close(self, held: _Connection | None) -> None:
        if held is not None:
            with contextlib.suppress(self._sqlite.Error):
                held.conn.close()
        return None

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Turn any disk or database problem into a log line; a corrupt file is replaced."""
        try:
            yield
        except self._sqlite.DatabaseError as exc:
            # Exactly DatabaseError, not its OperationalError subclass (locked, read-only...):
            # "file is not a database" or "database disk image is malformed".
            if type(exc) is self._sqlite.DatabaseError:
                self._replace_corrupt(exc)
            elif "no such table" in str(exc):
                pass  # read as another process creates the file: nothing stored yet
            else:
                self._warn_once(what, f"Prediction cache {self.path} unavailable ({exc})")
        except (OSError, self._sqlite.Error) as exc:
            self._warn_once(what, f"Prediction cache {self.path} unavailable ({exc})")

    def _replace_corrupt(self, exc: BaseException) -> None:
        self._generation += 1  # the other side's connection reopens on its next use
        aside = self.path.with_name(self.path.name + ".corrupt")
        logger.warning(
            "Prediction cache %s is corrupt (%s); ignoring it (moved to %s) and starting a new one",
            self.path,
            exc,
            aside.name,
        )
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # another process moved it first
        except OSError as error:
            self._warn_once("replace", f"Prediction cache {self.path} cannot be replaced ({error})")
            self._disabled = True

    def _warn_once(self, what: str, message: str) -> None:
        # Once per distinct problem, whichever operation (read, claim, write) ran into it.
        if message in self._warned:
            logger.debug("%s (%s)", message, what)
            return
        if len(self._warned) < 32:
            self._warned.add(message)
        logger.warning("%s; using the in-memory cache only for now", message)


@dataclass
class _Connection:
    conn: sqlite3.Connection
    generation: int
