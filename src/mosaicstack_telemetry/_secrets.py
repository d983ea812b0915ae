"""Keeping API keys out of text: the scrubber, the SDK logger's filter, and a key's shape.

Every configured key is registered here (while its config or client lives); `scrub()` replaces
registered keys, anything after `Bearer`, and any run of exactly 64 hex digits (the shape of a
key) with `<redacted>`. The filter installed on the `mosaicstack_telemetry` logger applies it to
every message, exception text and string extra before any handler sees them.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import weakref
from collections.abc import Iterable

REDACTED = "<redacted>"

# Shorter values are not treated as secrets: scrubbing "ab" would garble every message.
_MIN_SECRET_LENGTH = 4
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_HEX64 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")

_lock = threading.Lock()
_registered: dict[str, int] = {}
_snapshot: tuple[str, ...] = ()


def _refresh() -> None:
    global _snapshot
    # Longest first, so a key is replaced before any registered value it contains.
    _snapshot = tuple(sorted(_registered, key=len, reverse=True))


def _forget(secret: str) -> None:
    with _lock:
        count = _registered.get(secret, 0) - 1
        if count > 0:
            _registered[secret] = count
        else:
            _registered.pop(secret, None)
        _refresh()


def register(secret: object, owner: object) -> None:
    """Scrub `secret` from SDK logs for as long as `owner` is alive."""
    if not isinstance(secret, str) or len(secret.strip()) < _MIN_SECRET_LENGTH:
        return
    for value in dict.fromkeys((secret, secret.strip())):
        with _lock:
            _registered[value] = _registered.get(value, 0) + 1
            _refresh()
        weakref.finalize(owner, _forget, value)


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with registered keys, `extra` secrets, Bearer tokens and 64-hex runs redacted."""
    secrets = [s for s in extra if isinstance(s, str) and len(s.strip()) >= _MIN_SECRET_LENGTH]
    for secret in (*sorted(secrets, key=len, reverse=True), *_snapshot):
        if secret in text:
            text = text.replace(secret, REDACTED)
        stripped = secret.strip()
        if stripped != secret and stripped in text:
            text = text.replace(stripped, REDACTED)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _HEX64.sub(REDACTED, text)


def shape(value: str) -> str:
    """A description of a secret that shows no character of it: length and character classes."""
    counts = dict.fromkeys(
        ("hex", "other letters/digits", "whitespace", "control", "non-ASCII", "symbols"), 0
    )
    for char in value:
        if char in "0123456789abcdefABCDEF":
            counts["hex"] += 1
        elif char.isascii() and char.isalnum():
            counts["other letters/digits"] += 1
        elif char in " \t\n\r\v\f":
            counts["whitespace"] += 1
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            counts["control"] += 1
        elif not char.isascii():
            counts["non-ASCII"] += 1
        else:
            counts["symbols"] += 1
    kinds = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
    return f"{len(value)} characters" + (f" ({kinds})" if kinds else "")


_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class SecretFilter(logging.Filter):
    """Scrubs keys from a record's message, exception text, stack and string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._scrub(record)
        except Exception:  # a filter must never stop a record, or raise into the host
            record.msg, record.args = (
                "(telemetry log message withheld: it could not be scrubbed)",
                None,
            )
            record.exc_info = record.exc_text = None
        return True

    @staticmethod
    def _scrub(record: logging.LogRecord) -> None:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            clean = scrub(text)
            if clean != text:
                # Handlers append exc_text when set; the exception object itself is withheld.
                record.exc_text, record.exc_info = clean, None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, scrub(value))


_FILTER = SecretFilter()


def install(logger: logging.Logger) -> None:
    """Add the filter to `logger` once."""
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


install(logging.getLogger("mosaicstack_telemetry"))
