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


def test_ids_ignore_the_hosts_random_seed() -> None:
    import random

    random.seed(42)
    first = new_event_id()
    random.seed(42)
    assert new_event_id() != first


def test_a_forked_child_draws_different_ids() -> None:
    import os

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, str(new_event_id()).encode())
        os._exit(0)
    os.close(write)
    parent_id = str(new_event_id())
    child_id = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert uuid.UUID(child_id).version == 4
    assert child_id != parent_id


def test_events_keep_their_values_in_a_compact_dict_and_behave_as_models() -> None:
    import copy
    import sys

    event = EventBuilder(INSTANCE_ID).model("m").language("python").build()
    fresh_pydantic_dict = dict(event.__dict__)
    assert sys.getsizeof(event.__dict__) < sys.getsizeof(fresh_pydantic_dict) / 2
    assert event.model == "m"
    assert list(event.__dict__) == list(TaskCompletionEvent.model_fields)
    event.language = "rust"  # assignment still lands in the same dict
    assert event.model_dump()["language"] == "rust"
    assert copy.deepcopy(event) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert TaskCompletionEvent.model_validate_json(event.model_dump_json()) == event


def test_model_construct_with_missing_fields_still_works() -> None:
    partial = TaskCompletionEvent.model_construct(model="m")
    assert partial.model == "m"
