"""Spool: an opt-in directory of events that could not be delivered before the process ended.

One JSON Lines file per write (each line an event's wire JSON), named `<time_ns>-<pid>-<rand>.jsonl`
so that names sort oldest first, written under a temporary name and renamed into place. A reader
claims a file by renaming it (only one process's rename succeeds), reads it and deletes it. Trimming
to the size bound runs under an exclusive lock file. A line that does not parse is skipped with a
warning: a spool never crashes its client. docs/lifecycle.md describes the rules.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ._models import TaskCompletionEvent

try:  # POSIX; elsewhere trimming relies on atomic renames alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("mosaicstack_telemetry")

SUFFIX = ".jsonl"
_CLAIMED = ".claimed-"
_TEMP = ".tmp-"


@dataclass(frozen=True)
class SpoolStatus:
    """What a spool directory holds."""

    files: int
    events: int
    bytes: int


@dataclass(frozen=True)
class Claimed:
    """Events read back from the spool, and how many lines had to be skipped."""

    events: list[TaskCompletionEvent]
    skipped: int


class Spool:
    """A directory of spooled events, shared safely by several processes."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"Spool({str(self.directory)!r}, max_bytes={self.max_bytes})"

    def write(self, events: list[TaskCompletionEvent]) -> int:
        """Write events as one new file; returns how many older events the size bound dropped.

        Raises OSError when the directory cannot be written (the caller counts the loss).
        """
        if not events:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        data = "".join(event.model_dump_json() + "\n" for event in events).encode()
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        temp = self.directory / f"{_TEMP}{name}"
        with open(temp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self.directory / name)
        return self._trim()

    def claim(self, max_events: int) -> Claimed:
        """Take files, oldest first, while their events fit in max_events (at least one file)."""
        events: list[TaskCompletionEvent] = []
        skipped = 0
        for path in self._files():
            if events and _line_count(path) + len(events) > max_events:
                break
            claimed = path.with_name(f"{_CLAIMED}{os.getpid()}-{secrets.token_hex(4)}-{path.name}")
            try:
                os.rename(path, claimed)
            except OSError:
                continue  # another process claimed it first
            got, bad = _read(claimed)
            events.extend(got)
            skipped += bad
            with contextlib.suppress(OSError):
                claimed.unlink()
            if len(events) >= max_events:
                break
        return Claimed(events, skipped)

    def status(self) -> SpoolStatus:
        """Count files, events and bytes (a file being written or claimed is not counted)."""
        files = self._files()
        return SpoolStatus(
            files=len(files),
            events=sum(_line_count(path) for path in files),
            bytes=sum(_size(path) for path in files),
        )

    def _files(self) -> list[Path]:
        """Spool files, oldest first; files claimed by a process that died are released."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        orphans = [name for name in names if name.startswith(_CLAIMED)]
        if orphans and any([self._release_orphan(name) for name in orphans]):
            names = os.listdir(self.directory)
        return sorted(
            (self.directory / n for n in names if n.endswith(SUFFIX) and n[0].isdigit()),
            key=lambda path: path.name,
        )

    def _release_orphan(self, name: str) -> bool:
        # `.claimed-<pid>-<rand>-<original>`: put it back if its claimer is gone.
        pid_text, _, rest = name[len(_CLAIMED) :].partition("-")
        original = rest.partition("-")[2]
        if not pid_text.isdigit() or not original or _alive(int(pid_text)):
            return False
        try:
            os.rename(self.directory / name, self.directory / original)
        except OSError:
            return False
        return True

    def _trim(self) -> int:
        """Delete the oldest files until the spool fits in max_bytes; returns events dropped."""
        with self._locked():
            files = self._files()
            sizes = [_size(path) for path in files]
            total = sum(sizes)
            dropped = 0
            for path, size in zip(files, sizes, strict=True):
                if total <= self.max_bytes:
                    break
                count = _line_count(path)
                try:
                    path.unlink()
                except OSError:
                    continue
                total -= size
                dropped += count
        if dropped:
            logger.warning(
                "Telemetry spool %s is over spool_max_bytes=%d: %d oldest events dropped",
                self.directory,
                self.max_bytes,
                dropped,
            )
        return dropped

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        with open(self.directory / ".lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _read(path: Path) -> tuple[list[TaskCompletionEvent], int]:
    events: list[TaskCompletionEvent] = []
    skipped = 0
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        logger.warning("Telemetry spool file %s could not be read (%s); skipped", path.name, exc)
        return events, 0
    for line in lines:
        if not line.strip():
            continue
        try:
            events.append(TaskCompletionEvent.model_validate_json(line))
        except (ValidationError, ValueError):
            skipped += 1
    if skipped:
        logger.warning(
            "Telemetry spool file %s: %d unreadable lines skipped (truncated or not events)",
            path.name,
            skipped,
        )
    return events, skipped


def _line_count(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
