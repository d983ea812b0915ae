"""new_event_id(): the fast UUIDv4 that EventBuilder and TaskCompletionEvent use for event_id."""

from __future__ import annotations

import pickle
import uuid

from mosaicstack_telemetry import EventBuilder, TaskCompletionEvent
from mosaicstack_telemetry._models import new_event_id

INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def test_is_a_random_version_4_rfc_4122_uuid() -> None:
    ids = [new_event_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    for uid in ids[:500]:
        assert type(uid) is uuid.UUID
        assert uid.version == 4
        assert uid.variant == uuid.RFC_4122
        assert uuid.UUID(str(uid)) == uid
        assert uuid.UUID(int=uid.int, version=4) == uid  # the version/variant bits uuid4() sets
        assert hash(uid) == hash(uuid.UUID(str(uid)))
        assert pickle.loads(pickle.dumps(uid)) == uid


def test_builder_and_model_default_use_it() -> None:
    built = EventBuilder(INSTANCE_ID).build()
    assert built.event_id.version == 4
    assert EventBuilder(INSTANCE_ID).build().event_id != built.event_id
    data = built.model_dump()
    del data["event_id"]
    default = TaskCompletionEvent(**data).event_id
    assert default.version == 4
    assert default != built.event_id
    assert f'"event_id":"{built.event_id}"' in built.model_dump_json()
