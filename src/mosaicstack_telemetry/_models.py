"""Public models: the generated ones, plus the client-side defaults the spec cannot express."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, SafeUUID

from pydantic import AwareDatetime, Field, model_validator

from . import _forksafety  # noqa: F401  (its fork hooks: no lock left held in a child)
from ._generated import models as _generated


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_V4_SET = (0x4 << 76) | (0x8000 << 48)

# A private generator seeded from os.urandom, not os.urandom per id as uuid4() does: that
# system call would cost a tenth of build(), and event ids must be unique, not secret (RFC 9562
# recommends a CSPRNG for v4 but does not require one). Private, so a host's random.seed(42)
# cannot make ids repeat across runs (the server would drop repeats as duplicates); reseeded in
# a forked child, so parent and child never draw the same ids.
_rng = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_rng.seed)
_random_bits = _rng.getrandbits
_UNKNOWN = SafeUUID.unknown


def new_event_id() -> UUID:
    """A random UUIDv4 with the version and variant bits uuid.uuid4() sets, in a fifth the time."""
    uid = object.__new__(UUID)
    # UUID.__init__'s argument parsing is most of uuid4()'s cost; the attributes are the same.
    object.__setattr__(uid, "int", _random_bits(128) & _V4_CLEAR | _V4_SET)
    object.__setattr__(uid, "is_safe", _UNKNOWN)
    return uid


# One set shared by every event: it already holds every field name, so pydantic's in-place
# additions are no-ops, and each queued event saves the ~2 KB a per-instance set would cost.
_FIELD_NAMES = tuple(_generated.TaskCompletionEvent.model_fields)
_ALL_FIELDS_SET: set[str] = set(_FIELD_NAMES)


class _Fields:
    """A plain object whose instance dicts share one key table (CPython's key-sharing dicts)."""


def _compactor() -> Callable[[dict[str, Any]], dict[str, Any]]:
    # Straight-line assignments in field order, compiled once: the fastest way to fill an
    # instance dict of _Fields, whose keys are then stored once for all events instead of once
    # per event (about 280 bytes per event instead of 832 for pydantic's own dict).
    body = "".join(f"    o.{name} = d[{name!r}]\n" for name in _FIELD_NAMES)
    source = f"def compact(d):\n    o = _Fields()\n{body}    return o.__dict__\n"
    namespace: dict[str, Any] = {"_Fields": _Fields}
    exec(source, namespace)
    compact: Callable[[dict[str, Any]], dict[str, Any]] = namespace["compact"]
    compact(dict.fromkeys(_FIELD_NAMES))  # the first instance fixes the shared key order
    return compact


_compact = _compactor()


class TaskCompletionEvent(_generated.TaskCompletionEvent):
    """One completed AI coding task; `event_id` and `timestamp` default to a UUIDv4 and now-UTC."""

    # Required on the wire, but generated here when omitted: the spec has no way to say "uuid4()"
    # or "now" as a default.
    event_id: UUID = Field(default_factory=new_event_id, description="Unique event identifier.")
    timestamp: AwareDatetime = Field(
        default_factory=_utcnow, description="When the task completed (UTC)."
    )

    @model_validator(mode="after")
    def _validated(self) -> TaskCompletionEvent:
        # Here, not in model_post_init: model_construct() skips validators, so an event that
        # shares _ALL_FIELDS_SET passed validation (track() checks this in constant time).
        # Every field is always part of the wire JSON (never `exclude_unset`), so every field
        # counts as set.
        object.__setattr__(self, "__pydantic_fields_set__", _ALL_FIELDS_SET)
        # Queued events are held by the thousand: store their values in a key-sharing dict.
        values = self.__dict__
        if len(values) == len(_FIELD_NAMES):
            object.__setattr__(self, "__dict__", _compact(values))
        return self


def is_validated(event: _generated.TaskCompletionEvent) -> bool:
    """Whether this event came out of TaskCompletionEvent's validation (O(1))."""
    return event.__pydantic_fields_set__ is _ALL_FIELDS_SET
