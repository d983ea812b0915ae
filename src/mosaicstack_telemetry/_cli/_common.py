"""Shared by the subcommands that talk to a server through the SDK: options, config, output.

The connection options mirror the SDK's environment variables (`MOSAIC_TELEMETRY_SERVER_URL`,
`_API_KEY`, `_INSTANCE_ID`); a flag given on the command line wins over its variable. The API key
is never printed: `redact()` shows only its length, and `sdk_log()` scrubs it from anything the
SDK logs while a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, TextIO

from .. import _secrets
from .._config import ENV_API_KEY, ENV_INSTANCE_ID, ENV_SERVER_URL

if TYPE_CHECKING:
    from .._config import TelemetryConfig
    from .._generated.models import PredictionQuery, PredictionResponse

CONNECTION_HELP = f"""\
connection (flags override the environment, as TelemetryConfig does):
  {ENV_SERVER_URL}   server base URL, e.g. http://127.0.0.1:8000
  {ENV_API_KEY}      64 hex characters (prefer the variable: a flag is visible in `ps`)
  {ENV_INSTANCE_ID}  the UUID the key belongs to
"""

_SOURCES = (
    ("server_url", "--server-url", ENV_SERVER_URL),
    ("api_key", "--api-key", ENV_API_KEY),
    ("instance_id", "--instance-id", ENV_INSTANCE_ID),
)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """--server-url, --api-key and --instance-id, each defaulting to its environment variable."""
    group = parser.add_argument_group("connection")
    group.add_argument("--server-url", metavar="URL", help=f"default: ${ENV_SERVER_URL}")
    group.add_argument("--api-key", metavar="KEY", help=f"default: ${ENV_API_KEY}")
    group.add_argument("--instance-id", metavar="UUID", help=f"default: ${ENV_INSTANCE_ID}")


def config_from(args: argparse.Namespace, **settings: object) -> TelemetryConfig:
    """The TelemetryConfig for these options; unset fields come from the environment.

    A command run by hand is meant to reach the server, so `enabled` is forced on even when
    MOSAIC_TELEMETRY_ENABLED turns the SDK off for applications (`doctor` reports that).
    """
    from .._config import TelemetryConfig

    config = TelemetryConfig(
        server_url=args.server_url or "",
        api_key=args.api_key or "",
        instance_id=args.instance_id or "",
        **settings,  # type: ignore[arg-type]
    )
    config.enabled = True
    return config


def source_of(args: argparse.Namespace, name: str) -> str:
    """Where a connection setting came from: the flag, the variable, or nowhere."""
    for field, flag, env in _SOURCES:
        if field == name:
            if getattr(args, name, None):
                return flag
            if os.environ.get(env, "").strip():
                return f"${env}"
    return "not set"


def redact(api_key: str) -> str:
    """What may be shown of an API key: whether it is set and its length, never characters."""
    if not api_key:
        return "(not set)"
    return f"<redacted, {len(api_key)} characters>"


def config_errors(prog: str, config: TelemetryConfig, stream: TextIO | None = None) -> bool:
    """Print `validate()`'s messages (they never contain the key); True if there were any."""
    problems = config.validate()
    out = sys.stderr if stream is None else stream
    for problem in problems:
        print(f"{prog}: configuration: {problem}", file=out)
    return bool(problems)


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 event`, `2 events`: the count and the word in the right number."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def enum_values(enum: type[Enum]) -> list[str]:
    """The wire values of a generated enum, for argparse `choices`."""
    return [str(member.value) for member in enum]


# --- output with the key scrubbed -------------------------------------------------------------


class _ScrubbingStream:
    """A text stream that writes through `_secrets.scrub()`: no key reaches the terminal."""

    def __init__(self, stream: TextIO, secrets: tuple[str, ...]) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(_secrets.scrub(text, self._secrets))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def command_secrets(args: argparse.Namespace) -> tuple[str, ...]:
    """The keys a command may know: its --api-key and the environment's."""
    values = (getattr(args, "api_key", None), os.environ.get(ENV_API_KEY))
    return tuple(v for v in values if isinstance(v, str) and v)


@contextlib.contextmanager
def scrubbed_output(secrets: tuple[str, ...]) -> Iterator[None]:
    """stdout and stderr with `secrets`, Bearer tokens and 64-hex runs replaced by <redacted>.

    A server's error message can echo the Authorization header; whatever a command prints
    passes through here.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout = _ScrubbingStream(sys.stdout, secrets)
    sys.stderr = _ScrubbingStream(sys.stderr, secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


# --- the SDK's log, shown with the key scrubbed -------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    """One SDK log record: level, the message with the key scrubbed, and the raw record."""

    level: int
    message: str
    record: logging.LogRecord


class _SdkLogHandler(logging.Handler):
    """Prints SDK warnings to stderr (key scrubbed) and keeps every message."""

    def __init__(self, prog: str, secret: str, show: bool) -> None:
        super().__init__(logging.INFO)
        self.prog = prog
        self.secret = secret
        self.show = show
        self.lines: list[LogLine] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = _secrets.scrub(record.getMessage(), (self.secret,))
            self.lines.append(LogLine(record.levelno, message, record))
            if self.show and record.levelno >= logging.WARNING:
                print(f"{self.prog}: {message}", file=sys.stderr)
        except Exception:
            self.handleError(record)


@dataclass
class SdkLog:
    """What the SDK logged while a command ran (messages already scrubbed of the key)."""

    lines: list[LogLine]

    def warnings(self) -> list[str]:
        """Messages at WARNING and above, in order."""
        return [line.message for line in self.lines if line.level >= logging.WARNING]


@contextlib.contextmanager
def sdk_log(prog: str, secret: str, *, show: bool = True) -> Iterator[SdkLog]:
    """Collect the `mosaicstack_telemetry` logger's records with `secret` scrubbed.

    With `show`, warnings are also printed to stderr as they happen, prefixed with `prog`.
    """
    logger = logging.getLogger("mosaicstack_telemetry")
    handler = _SdkLogHandler(prog, secret, show)
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield SdkLog(handler.lines)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# --- predictions as text ------------------------------------------------------------------------


def _value(member: object) -> str:
    return str(member.value) if isinstance(member, Enum) else str(member)


def describe_query(query: PredictionQuery) -> str:
    """task_type / model / provider / complexity."""
    return " / ".join(
        _value(v) for v in (query.task_type, query.model, query.provider, query.complexity)
    )


def dollars(micros: int) -> str:
    """Microdollars as dollars: 919200 -> $0.9192."""
    return f"${micros / 1_000_000:,.4f}"


def seconds(ms: int) -> str:
    """Milliseconds as seconds: 45000 -> 45.0 s."""
    return f"{ms / 1000:,.1f} s"


def duration(seconds: float) -> str:
    """A rough human duration: 42 s, 5 min, 3 h 12 min, 2 d 4 h."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"


def percent(fraction: float) -> str:
    """0.8125 -> 81.2%."""
    return f"{fraction * 100:.1f}%"


def _fallback(level: int) -> str:
    if level == 0:
        return "0 (exact match)"
    if level < 0:
        return f"{level} (no data)"
    return f"{level} ({level} dimension{'s' if level > 1 else ''} dropped)"


def prediction_table(query: PredictionQuery, response: PredictionResponse) -> str:
    """A readable, multi-line table of one prediction and its metadata."""
    lines = [f"Prediction for {describe_query(query)}", ""]
    data = response.prediction
    if data is None:
        lines.append("  No prediction: the server has no data for this task type.")
    else:
        width = 12
        head = "".join(f"{h:>{width}}" for h in ("p10", "p25", "median", "p75", "p90"))
        lines.append(f"  {'':<22}{head}")
        for label, dist in (
            ("input tokens", data.input_tokens),
            ("output tokens", data.output_tokens),
        ):
            values = (dist.p10, dist.p25, dist.median, dist.p75, dist.p90)
            lines.append(f"  {label:<22}" + "".join(f"{v:>{width},}" for v in values))
        cost = data.cost_usd_micros.get("median")
        duration = data.duration_ms.get("median")
        lines += [
            "",
            f"  {'median cost':<22}"
            + (f"{dollars(cost)} ({cost:,} microdollars)" if cost is not None else "-"),
            f"  {'median duration':<22}"
            + (f"{seconds(duration)} ({duration:,} ms)" if duration is not None else "-"),
            f"  {'correction factors':<22}input {data.correction_factors.input:.4f}  "
            f"output {data.correction_factors.output:.4f}  (actual / estimated tokens)",
            f"  {'gate pass rate':<22}{percent(data.quality.gate_pass_rate)}",
            f"  {'success rate':<22}{percent(data.quality.success_rate)}",
        ]
    meta = response.metadata
    matched = meta.dimensions_matched or {}
    dims = ", ".join(
        f"{name}={'(dropped)' if value is None else value}" for name, value in matched.items()
    )
    lines += [
        "",
        "  Metadata",
        f"  {'sample size':<22}{plural(meta.sample_size, 'event')}",
        f"  {'confidence':<22}{meta.confidence}",
        f"  {'fallback level':<22}{_fallback(meta.fallback_level)}",
        f"  {'dimensions matched':<22}{dims or '-'}",
        f"  {'fallback note':<22}{meta.fallback_note or '-'}",
    ]
    if meta.last_updated is not None:
        lines.append(f"  {'last updated':<22}{meta.last_updated.isoformat()}")
    return "\n".join(lines)


def predictions_summary(rows: list[tuple[PredictionQuery, PredictionResponse]]) -> str:
    """One line per prediction: the query, sample size, confidence, fallback and the medians."""
    header = (
        "task_type",
        "model",
        "provider",
        "complexity",
        "n",
        "confidence",
        "fallback",
        "in p50",
        "out p50",
        "cost p50",
        "time p50",
        "success",
    )
    table: list[tuple[str, ...]] = [header]
    for query, response in rows:
        meta, data = response.metadata, response.prediction
        medians: tuple[str, ...] = ("-",) * 5
        if data is not None:
            cost = data.cost_usd_micros.get("median")
            duration = data.duration_ms.get("median")
            medians = (
                f"{data.input_tokens.median:,}",
                f"{data.output_tokens.median:,}",
                "-" if cost is None else dollars(cost),
                "-" if duration is None else seconds(duration),
                percent(data.quality.success_rate),
            )
        table.append(
            (
                _value(query.task_type),
                query.model,
                _value(query.provider),
                _value(query.complexity),
                str(meta.sample_size),
                meta.confidence,
                str(meta.fallback_level),
                *medians,
            )
        )
    numeric = set(range(4, len(header)))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def render(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    out = [render(table[0]), "  ".join("-" * w for w in widths)]
    out += [render(row) for row in table[1:]]
    return "\n".join(out)
