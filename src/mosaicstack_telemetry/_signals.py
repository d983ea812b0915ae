"""SIGTERM: flush within the shutdown deadline, then die of the signal as the host would have.

Installed by start() in the main thread only when SIGTERM still has its default disposition (a
host with its own handler is left alone: its usual sys.exit() runs the exit flush). The handler
shuts every started client down (flush, then spool), restores the default disposition and
re-raises SIGTERM, so the exit status is the signal's.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import weakref
from types import FrameType
from typing import Protocol

logger = logging.getLogger("mosaicstack_telemetry")


class _Shuts(Protocol):
    def _shutdown_now(self, why: str) -> None: ...


_clients: weakref.WeakSet[_Shuts] = weakref.WeakSet()


def _can_handle() -> bool:
    return hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread()


def install(client: _Shuts) -> None:
    """Flush `client` on SIGTERM, if the disposition is still the default (main thread only)."""
    if not _can_handle():
        return
    current = signal.getsignal(signal.SIGTERM)
    if current is _on_sigterm:
        _clients.add(client)
    elif current is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
        _clients.add(client)


def uninstall(client: _Shuts) -> None:
    """Forget `client`; the default disposition comes back when no client is left."""
    _clients.discard(client)
    if _clients or not _can_handle():
        return
    if signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def installed() -> bool:
    """Whether the SDK's SIGTERM handler is the current one."""
    return hasattr(signal, "SIGTERM") and signal.getsignal(signal.SIGTERM) is _on_sigterm


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    for client in list(_clients):
        try:
            client._shutdown_now("SIGTERM")
        except Exception:
            logger.exception("Telemetry flush on SIGTERM failed")
    _clients.clear()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
