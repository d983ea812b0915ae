"""RetryPolicy: what to do after a failed send. Pure decisions: no I/O, no sleeping, no clock."""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ._errors import ApiError

# Retrying cannot fix these: the batch is dropped (and counted) instead of resent forever.
DROP_STATUSES = frozenset({401, 403, 413, 422})


class Action(enum.Enum):
    """What the submitter does with a batch whose send failed."""

    RETRY = "retry"  # wait `delay` seconds, then send again
    DROP = "drop"  # give up on the batch: retrying cannot help
    KEEP = "keep"  # give up for this cycle: put the batch back at the front of the queue


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one failure."""

    action: Action
    delay: float = 0.0
    reason: str = ""


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
            status = error.status_code
            if status in DROP_STATUSES:
                return Decision(Action.DROP, reason=f"HTTP {status}: {error.message}")
            if status == 429:
                wait = error.retry_after
                delay = (
                    self.backoff(retries_done) if wait is None else min(wait, self.max_retry_after)
                )
                return self._retry(delay, retries_done, f"HTTP 429: {error.message}")
            if status >= 500 or status == 408 or 200 <= status < 300:
                # A 2xx whose body did not parse is transient too; a resend is deduplicated.
                return self._retry(
                    self.backoff(retries_done), retries_done, f"HTTP {status}: {error.message}"
                )
            return Decision(Action.KEEP, reason=f"HTTP {status}: {error.message}")
        if isinstance(error, httpx.TimeoutException):
            return self._retry(self.backoff(retries_done), retries_done, f"timeout ({error!r})")
        if isinstance(error, httpx.TransportError):
            return self._retry(
                self.backoff(retries_done), retries_done, f"connection error ({error!r})"
            )
        return Decision(Action.KEEP, reason=f"unexpected error ({error!r})")

    def _retry(self, delay: float, retries_done: int, reason: str) -> Decision:
        if retries_done >= self.max_retries:
            return Decision(Action.KEEP, reason=f"{reason}; gave up after {retries_done} retries")
        return Decision(Action.RETRY, delay=delay, reason=reason)
