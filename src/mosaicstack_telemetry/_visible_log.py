"""The level for log lines the user asked to see (dry run), whatever the host's logging setup."""

from __future__ import annotations

import logging


def asked_for_level(logger: logging.Logger) -> int:
    """INFO when the host has a handler for `logger` (on it or an ancestor), WARNING otherwise.

    A program that never configured logging shows only WARNING and above (Python's last-resort
    handler, on stderr); a dry run's output must not vanish there. Once the host configures
    logging, the line is INFO again and its configuration decides.
    """
    return logging.INFO if logger.hasHandlers() else logging.WARNING
