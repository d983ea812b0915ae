"""Capture every log record of every logger at DEBUG (httpx and httpcore included), formatted."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

_NOISY = ("httpx", "httpcore", "mosaicstack_telemetry", "asyncio", "uvicorn")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        extras = " ".join(str(v) for k, v in vars(record).items() if k not in _STANDARD)
        self.texts.append(f"{text} {extras}")


_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class AllLogs:
    """What every logger emitted while capturing."""

    def __init__(self, handler: _Capture) -> None:
        self._handler = handler

    @property
    def text(self) -> str:
        """All records, formatted with exception text and extras, one per line."""
        return "\n".join(self._handler.texts)

    def assert_free_of(self, *secrets: str) -> None:
        """Fail naming the first record that contains any of `secrets`."""
        for line in self._handler.texts:
            for secret in secrets:
                assert secret not in line, f"secret in a log record: {line[:300]!r}"


@contextlib.contextmanager
def all_logs() -> Iterator[AllLogs]:
    """Every logger at DEBUG, captured at the root (the SDK adds no handlers of its own)."""
    root = logging.getLogger()
    handler = _Capture()
    saved = {name: logging.getLogger(name).level for name in _NOISY}
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield AllLogs(handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
