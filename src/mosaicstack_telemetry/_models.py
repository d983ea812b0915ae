"""Public models: the generated ones, plus the client-side defaults the spec cannot express."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID, uuid4

from pydantic import AwareDatetime, Field

from ._generated import models as _generated


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TaskCompletionEvent(_generated.TaskCompletionEvent):
    """One completed AI coding task; `event_id` and `timestamp` default to a UUIDv4 and now-UTC."""

    # Required on the wire, but generated here when omitted: the spec has no way to say "uuid4()"
    # or "now" as a default.
    event_id: UUID = Field(default_factory=uuid4, description="Unique event identifier.")
    timestamp: AwareDatetime = Field(
        default_factory=_utcnow, description="When the task completed (UTC)."
    )
