"""fork(): every client starts clean in the child, and no lock the child needs is left held.

In the child, each live client is reset: fresh locks (a parent thread may have held one at the
fork), an empty queue (the parent's events stay the parent's, never sent twice), no held batches,
fresh HTTP clients, and its worker restarted when the parent's was running. A `multiprocessing`
fork child skips `atexit`, so there the exit flush is registered as a `multiprocessing` exit
finalizer instead.

Locks that are not the SDK's can be inherited held too: a lazy import's module lock, pydantic's
lock for building a deferred validator, and one-time initialisations inside pydantic-core and the
codecs. So the SDK does all of those once, up front (`warm_up()`), under a gate that a fork waits
for; and before a fork builds any model validator still deferred.
"""

from __future__ import annotations

import codecs
import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

logger = logging.getLogger("mosaicstack_telemetry")


class _Forkable(Protocol):
    def _after_fork_in_child(self) -> bool: ...

    def _flush_at_exit(self) -> None: ...


_clients: weakref.WeakSet[_Forkable] = weakref.WeakSet()
_gate = threading.Lock()
_warm = False

_SAMPLE_INSTANCE = "00000000-0000-4000-8000-000000000000"


def register(client: _Forkable) -> None:
    """Reset `client` in every forked child from now on."""
    _clients.add(client)


def load_http() -> None:
    """Import httpx, the endpoint stubs and what httpx imports only when a client is made.

    The client calls this on the host's thread before it starts a thread of its own, never in
    TelemetryClient() or track(): a module that another thread is still importing is visible,
    half made, in sys.modules, and some libraries look there (openai checks for httpx so).
    """
    import ssl  # noqa: F401

    import certifi  # noqa: F401
    import httpcore  # noqa: F401

    from ._generated import endpoints  # noqa: F401  (imports httpx)


def warm_up() -> None:
    """Do once, before any fork can catch it half done, what the first request does lazily.

    That is: import httpx and the idna codec (getaddrinfo), and validate, serialize and parse one
    event, one batch and one answer (pydantic-core initialises some of its state on first use).
    A fork waits for a warm-up in progress; afterwards this returns at once.
    """
    global _warm
    if _warm:
        return
    with _gate:
        if _warm:
            return
        codecs.lookup("idna")
        load_http()
        from ._builder import EventBuilder
        from ._generated.models import BatchEventRequest, BatchEventResponse

        event = EventBuilder(_SAMPLE_INSTANCE).build()
        BatchEventRequest(events=[event]).model_dump_json()
        BatchEventResponse.model_validate_json(
            f'{{"accepted": 1, "rejected": 0, "results": [{{"event_id": "{event.event_id}", '
            '"status": "accepted", "error": null}]}'
        )
        _warm = True


def before_fork_can(prepare: Callable[[], object]) -> None:
    """Run `prepare` where a fork waits for it: for first uses that import or lock lazily."""
    with _gate:
        prepare()


def complete_models() -> None:
    """Build every SDK model validator that pydantic still defers.

    pydantic builds a deferred validator on first use under one global lock; a fork while another
    thread holds it would leave the child's first event (or batch) waiting on it for ever. Built
    before the fork, in the forking thread (waiting for a build in progress to finish), later
    first uses find the models complete and never take that lock.
    """
    try:
        from pydantic import BaseModel

        from . import _models
        from ._generated import models

        generated: list[type[BaseModel]] = [
            value
            for value in vars(models).values()
            if isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == models.__name__
        ]
        generated.append(_models.TaskCompletionEvent)
        for model in generated:
            if not model.__pydantic_complete__:
                model.model_rebuild()
    except Exception:
        logger.exception("Telemetry models could not be prepared for fork")


def _before_fork() -> None:
    complete_models()
    _gate.acquire()


def _after_fork_in_parent() -> None:
    _gate.release()


def _after_fork_in_child() -> None:
    global _gate
    _gate = threading.Lock()
    mp_util = sys.modules.get("multiprocessing.util")
    for client in list(_clients):
        try:
            started = client._after_fork_in_child()
        except Exception:
            logger.exception("Telemetry client could not be reset after fork")
            continue
        if started and mp_util is not None:
            # Runs in a multiprocessing child after it clears the parent's finalizers.
            mp_util.register_after_fork(client, _finalize_in_mp_child)


def _finalize_in_mp_child(client: _Forkable) -> None:
    import multiprocessing.util

    multiprocessing.util.Finalize(client, client._flush_at_exit, exitpriority=10)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
