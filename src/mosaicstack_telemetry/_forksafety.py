"""fork(): every client starts clean in the child, and no lock the child needs is left held.

An `os.register_at_fork` hook resets each live client in the child: fresh locks (a parent thread
may have held one at the fork), an empty queue (the parent's events stay the parent's, never sent
twice), no held batches, fresh HTTP clients, and its worker restarted when the parent's was
running. A `multiprocessing` fork child skips `atexit`, so there the exit flush is registered as a
`multiprocessing` exit finalizer instead.
"""

from __future__ import annotations

import codecs
import logging
import os
import sys
import weakref
from typing import Protocol

logger = logging.getLogger("mosaicstack_telemetry")


class _Forkable(Protocol):
    def _after_fork_in_child(self) -> bool: ...

    def _flush_at_exit(self) -> None: ...


_clients: weakref.WeakSet[_Forkable] = weakref.WeakSet()
_hooked = False


def preload() -> None:
    """Import now what a first request imports lazily (getaddrinfo's idna codec).

    A fork while another thread is inside an import leaves that module's import lock held for
    ever in the child: the child's first request would then deadlock. Loading it up front, on
    the thread creating the HTTP client, closes that window.
    """
    codecs.lookup("idna")


def register(client: _Forkable) -> None:
    """Reset `client` in every forked child from now on."""
    global _hooked
    _clients.add(client)
    if not _hooked and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _hooked = True


def complete_models() -> None:
    """Before a fork (hooked by _models): build every SDK model validator still deferred.

    pydantic builds a deferred validator on first use under one global lock; a fork while another
    thread holds it would leave the child's first event (or batch) waiting on it for ever. Built
    here, in the forking thread (waiting for a build in progress to finish), later first uses find
    the models complete and never take that lock.
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


def _after_fork_in_child() -> None:
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
