"""RetryPolicy: what to do after a failed send. Pure decisions: no I/O, no sleeping, no clock."""

from __future__ import annotations

import enum
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ._errors import ApiError, DeadlineExceeded

# Retrying cannot fix these for the whole batch: it is dropped (and counted) instead of resent.
DROP_STATUSES = frozenset({401, 403})
# The server refused the batch because of some of its events: find them, send the rest.
ISOLATE_STATUSES = frozenset({413, 422})

# The local server's (and the reference server's) 403 for one foreign event.
_FOREIGN_INSTANCE = re.compile(r"events\[(\d+)\]\.instance_id (\S+) is not the instance")


class Action(enum.Enum):
    """What the submitter does with a batch whose send failed."""

    RETRY = "retry"  # wait `delay` seconds, then send again
    DROP = "drop"  # give up on the batch: retrying cannot help
    KEEP = "keep"  # give up for this cycle: put the batch back at the front of the queue
    ISOLATE = "isolate"  # some events are bad: drop those (`indexes`/`instance_id`) or split


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one failure."""

    action: Action
    delay: float = 0.0
    reason: str = ""
    status: int | None = None
    """The HTTP status, when there was one."""
    indexes: frozenset[int] = frozenset()
    """ISOLATE: positions in the batch of the events the server named (empty: split the batch)."""
    instance_id: str | None = None
    """ISOLATE: every event with this instance_id was refused."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient failures; Retry-After honoured on 429."""

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0
    jitter: float = 0.1
    random: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retries_done: int) -> float:
        """Delay before retry number retries_done+1: 1 s, 2 s, 4 s... capped, minus up to 10%."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** min(retries_done, 32))
        # Subtractive jitter keeps the cap a true cap while spreading clients apart.
        return delay * (1.0 - self.jitter * self.random())

    def decide(self, error: BaseException, retries_done: int) -> Decision:
        """Classify a failed send after retries_done retries."""
        if isinstance(error, ApiError):
            return self._decide_status(error, retries_done)
        if isinstance(error, DeadlineExceeded):
            return self._retry(self.backoff(retries_done), retries_done, f"timeout ({error!r})")
        import httpx  # loaded already: only a request raises its errors; importing SDK stays light

        if isinstance(error, httpx.TimeoutException):
            return self._retry(self.backoff(retries_done), retries_done, f"timeout ({error!r})")
        if isinstance(error, httpx.TransportError):
            return self._retry(
                self.backoff(retries_done), retries_done, f"connection error ({error!r})"
            )
        return Decision(Action.KEEP, reason=f"unexpected error ({error!r})")

    def _decide_status(self, error: ApiError, retries_done: int) -> Decision:
        status = error.status_code
        reason = f"HTTP {status}: {error.message}"
        if status == 403:
            found = _FOREIGN_INSTANCE.search(error.message)
            if found:
                return Decision(Action.ISOLATE, reason=reason, status=status,
                                instance_id=found.group(2))  # fmt: skip
        if status in DROP_STATUSES:
            return Decision(Action.DROP, reason=reason, status=status)
        if status in ISOLATE_STATUSES:
            indexes = _event_indexes(error.body) if status == 422 else None
            if indexes is None and status == 422 and _names_no_event(error.body):
                # The request as a whole is wrong (not one of its events): splitting cannot help.
                return Decision(Action.DROP, reason=reason, status=status)
            return Decision(Action.ISOLATE, reason=reason, status=status,
                            indexes=frozenset(indexes or ()))  # fmt: skip
        if status == 429 or status >= 500 or status == 408 or 200 <= status < 300:
            # A 2xx whose body did not parse is transient too; a resend is deduplicated. A
            # Retry-After (429, or 503 and others) is honoured as given, else backoff.
            wait = error.retry_after
            delay = self.backoff(retries_done) if wait is None else min(wait, self.max_retry_after)
            return self._retry(delay, retries_done, reason, status)
        return Decision(Action.KEEP, reason=reason, status=status)

    def _retry(
        self, delay: float, retries_done: int, reason: str, status: int | None = None
    ) -> Decision:
        if retries_done >= self.max_retries:
            # The delay still holds: the next cycle must not send before it either.
            return Decision(
                Action.KEEP, delay=delay, reason=f"{reason}; gave up after {retries_done} retries"
            )
        return Decision(Action.RETRY, delay=delay, reason=reason, status=status)


def _detail_locs(body: str) -> list[list[object]] | None:
    """The `loc` of every item of a FastAPI-style `detail` list; None if there is no such list."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    detail = data.get("detail") if isinstance(data, dict) else None
    if not isinstance(detail, list) or not detail:
        return None
    locs = [item.get("loc") for item in detail if isinstance(item, dict)]
    if len(locs) != len(detail) or not all(isinstance(loc, list) for loc in locs):
        return None
    return locs  # type: ignore[return-value]


def _event_indexes(body: str) -> set[int] | None:
    """Positions of the events a 422's detail names (`loc` = body, events, i, ...); else None."""
    locs = _detail_locs(body)
    if locs is None:
        return None
    indexes: set[int] = set()
    for loc in locs:
        index = _index_after_events(loc)
        if index is None:
            return None
        indexes.add(index)
    return indexes


def _names_no_event(body: str) -> bool:
    """Whether a 422's detail lists problems none of which points into `events`."""
    locs = _detail_locs(body)
    return locs is not None and all("events" not in loc for loc in locs)


def _index_after_events(loc: list[object]) -> int | None:
    for position, part in enumerate(loc[:-1]):
        following = loc[position + 1]
        if part == "events" and isinstance(following, int) and not isinstance(following, bool):
            return following
    return None
