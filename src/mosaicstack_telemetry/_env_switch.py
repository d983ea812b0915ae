"""The on/off switches in the environment: MOSAIC_TELEMETRY_ENABLED and DO_NOT_TRACK."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

logger = logging.getLogger("mosaicstack_telemetry")

ENV_ENABLED = "MOSAIC_TELEMETRY_ENABLED"
# The cross-tool opt-out convention (https://consoledonottrack.com): DO_NOT_TRACK=1.
ENV_DO_NOT_TRACK = "DO_NOT_TRACK"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
ACCEPTED = "1/0, true/false, yes/no, on/off"


def parse_switch(value: str) -> bool | None:
    """True or False for a recognised on/off word (any case); None for anything else."""
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def env_decision(env: Mapping[str, str] | None = None) -> tuple[bool | None, str]:
    """Whether the environment forces telemetry on (True) or off (False), or leaves it (None).

    Returns the decision and the setting that made it (empty when none did). An explicit
    MOSAIC_TELEMETRY_ENABLED wins; otherwise DO_NOT_TRACK=1 turns telemetry off. An empty or
    unrecognised value decides nothing.
    """
    env = os.environ if env is None else env
    raw = env.get(ENV_ENABLED, "")
    if raw.strip():
        switch = parse_switch(raw)
        if switch is not None:
            return switch, f"{ENV_ENABLED}={raw.strip()}"
    if parse_switch(env.get(ENV_DO_NOT_TRACK, "")) is True:
        return False, f"{ENV_DO_NOT_TRACK}={env[ENV_DO_NOT_TRACK].strip()}"
    return None, ""


def resolve_enabled(configured: bool) -> bool:
    """`enabled` after the environment's switches, logging what overrode it or was ignored."""
    decision, source = env_decision()
    enabled = configured if decision is None else decision
    raw = os.environ.get(ENV_ENABLED, "")
    if raw.strip() and parse_switch(raw) is None:
        # Never guess: `enabled`, `y` or a typo must not silently switch telemetry off.
        logger.warning(
            "Ignoring %s=%r: expected one of %s (any case); telemetry stays %s",
            ENV_ENABLED,
            raw.strip(),
            ACCEPTED,
            "enabled" if enabled else f"disabled ({source or 'as configured'})",
        )
    if decision is False and source.startswith(ENV_DO_NOT_TRACK):
        logger.debug("Telemetry disabled by %s", source)
    return enabled
