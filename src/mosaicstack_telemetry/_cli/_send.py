"""`mosaic-telemetry send`: validate a JSON Lines file of events and submit the valid ones."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from .. import _urls
from .._config import FIELD_RULES
from . import _common
from ._validate import ParsedLine, parse_lines, read_lines

if TYPE_CHECKING:
    from .._client import TelemetryClient
    from .._delivery import DeliveryStats
    from .._models import TaskCompletionEvent

PROG = "mosaic-telemetry send"
# After Ctrl-C, how long stop() may go on delivering before the summary is printed.
_INTERRUPT_GRACE_SECONDS = 3.0

MAX_QUEUE_SIZE = int(FIELD_RULES["max_queue_size"].maximum or 1_000_000)

_DESCRIPTION = """\
Validate every line of a JSON Lines file as a TaskCompletionEvent (exactly as `validate` does)
and submit the valid events through the SDK's TelemetryClient, in batches of up to 100. Invalid
lines are reported with their line number and field errors and are not sent; they never hold
back the valid ones. A progress bar is drawn on stderr when it is a terminal.

Events must carry the configured instance id (the server refuses a whole batch otherwise), so a
line with another instance_id is reported as invalid and not sent. Re-sending a file is safe:
events the server already stored come back as duplicates, which are not an error.

The summary says what became of every event: delivered (stored, or already stored), rejected
by the server (with its reason, per line), or not delivered (with the reason: the server could
not be reached, or refused the key or the batch). Ctrl-C stops sending and prints the summary
so far.

exit status:
  0  every line was valid and every event was delivered (stored or already stored)
  1  some line was invalid, or some event was rejected or not delivered
  2  configuration error (the problems are printed; the key never is) or unreadable file
  130  interrupted by Ctrl-C (after the summary so far)
"""

_EPILOG = f"""\
examples:
  export MOSAIC_TELEMETRY_SERVER_URL=http://127.0.0.1:8000
  export MOSAIC_TELEMETRY_API_KEY=...  MOSAIC_TELEMETRY_INSTANCE_ID=...
  mosaic-telemetry send events.jsonl
  mosaic-telemetry send --server-url https://tel-api.mosaicstack.dev events.jsonl
  some-exporter | mosaic-telemetry send -

{_common.CONNECTION_HELP}"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `send` subcommand."""
    parser = subparsers.add_parser(
        "send",
        help="validate and submit a JSON Lines file of events",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE.jsonl", help="events to send, or - for stdin")
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar, even on a terminal"
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="N",
        help="retries of a batch on 429, 5xx, timeouts and network errors (default: 3)",
    )
    _common.add_connection_options(parser)
    parser.set_defaults(func=run)


class Progress:
    """A one-line progress bar on a terminal; does nothing when disabled."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled and total > 0
        self._lock = threading.Lock()
        self._shown = False

    def update(self, done: int) -> None:
        """Redraw the bar for `done` of `total` events."""
        if not self.enabled:
            return
        done = min(done, self.total)
        filled = self.WIDTH * done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        with self._lock:
            self.stream.write(f"\rsending [{bar}] {done}/{self.total}")
            self.stream.flush()
            self._shown = True

    def clear(self) -> None:
        """Erase the bar (before other output, and at the end)."""
        if not self.enabled:
            return
        with self._lock:
            if self._shown:
                self.stream.write("\r" + " " * (self.WIDTH + 40) + "\r")
                self.stream.flush()
                self._shown = False


def _check_instance(parsed: list[ParsedLine], instance_id: str) -> None:
    """Turn events of another instance into invalid lines: the server would refuse the batch."""
    expected = uuid.UUID(instance_id)
    for index, line in enumerate(parsed):
        if line.event is not None and line.event.instance_id != expected:
            parsed[index] = ParsedLine(
                line.number,
                None,
                [
                    (
                        "instance_id",
                        f"{line.event.instance_id} is not the configured instance "
                        f"{expected} (the server would refuse the whole batch); not sent",
                    )
                ],
            )


@dataclass
class Delivered:
    """What became of the submitted events, from `TelemetryClient.stats` and the SDK's log."""

    delivered: int = 0
    """Answered `accepted` or `duplicate` by the server."""
    duplicates: int = 0
    rejected: int = 0
    left: int = 0
    """Not delivered: dropped (401/403/413/422), or still queued after the retries."""
    interrupted: bool = False
    """Ctrl-C stopped the sending: the counts are the outcome so far."""
    warnings: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    """The server's message for each rejected event, by event_id."""
    why_not: list[str] = field(default_factory=list)
    """Why batches were not delivered, once each, in order."""


_WHY = {
    "refused": "the server refused the API key or instance id",
    "dropped": "the server refused the batch, and sending it again cannot help",
    "kept": "the server could not be reached or kept failing",
}


def _wait_for_answers(client: TelemetryClient, total: int, progress: Progress) -> None:
    """Poll the client's counters until every event has an answer or a batch failed."""
    while True:
        stats = client.stats
        done = _settled(stats)
        progress.update(done)
        # put_back: the server is unwell and a batch was put back; stop() makes one last
        # attempt, and whatever is still queued is reported as not delivered.
        if done >= total or stats.put_back or not client.is_running:
            return
        time.sleep(0.05)


def _stop_briefly(client: TelemetryClient) -> None:
    """After Ctrl-C: let stop() flush for a moment, but never hang on a slow server."""
    stopper = threading.Thread(target=client.stop, name="send-stop", daemon=True)
    stopper.start()
    # A second Ctrl-C ends the wait too; the summary then shows what is known.
    with contextlib.suppress(KeyboardInterrupt):
        stopper.join(_INTERRUPT_GRACE_SECONDS)


def _settled(stats: DeliveryStats) -> int:
    """Events with a final answer: delivered, or dropped for any counted reason."""
    return (
        stats.delivered + stats.rejected + stats.dropped + stats.isolated + stats.dropped_refused
        + stats.dropped_stale
    )  # fmt: skip


def _deliver(
    events: list[TaskCompletionEvent], config_args: argparse.Namespace, progress: Progress
) -> Delivered:
    """Submit the events through TelemetryClient and wait until each has an answer."""
    from .._client import TelemetryClient

    config = _common.config_from(
        config_args,
        # Room for every event: nothing valid is evicted, however long the file.
        max_queue_size=min(MAX_QUEUE_SIZE, max(1000, len(events))),
        batch_size=100,
        submit_interval_seconds=0.25,
        max_retries=max(0, config_args.max_retries),
    )
    client = TelemetryClient(config)
    interrupted = False
    with _common.sdk_log(PROG, config.api_key, show=False) as log:
        client.start()
        try:
            for event in events:
                client.track(event)
            _wait_for_answers(client, len(events), progress)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if interrupted:
                _stop_briefly(client)
            else:
                client.stop()  # one last attempt at whatever is still queued
            stats = client.stats
            progress.update(_settled(stats))
            progress.clear()
    result = Delivered(
        delivered=stats.delivered,
        duplicates=stats.duplicates,
        rejected=stats.rejected,
        left=len(events) - stats.delivered - stats.rejected,
        interrupted=interrupted,
    )
    for line in log.lines:
        rejected_id = getattr(line.record, "rejected_event_id", None)
        outcome = getattr(line.record, "not_delivered", None)
        if rejected_id is not None:
            result.reasons[rejected_id] = str(getattr(line.record, "rejection_error", ""))
        elif outcome is not None:
            reason = str(getattr(line.record, "not_delivered_reason", ""))
            why = f"{_WHY.get(str(outcome), 'not delivered')} ({reason})"
            if why not in result.why_not:
                result.why_not.append(why)
        elif line.level >= logging.WARNING and "still queued" not in line.message:
            # The client's own "still queued" note is the summary's "not delivered" row.
            result.warnings.append(line.message)
    return result


def _summary_rows(
    name: str,
    url: str,
    parsed: list[ParsedLine],
    invalid: list[ParsedLine],
    sent: int,
    result: Delivered,
) -> list[tuple[str, str]]:
    numbers = ", ".join(str(line.number) for line in invalid)
    where = f"line{'s' if len(invalid) > 1 else ''} {numbers}"
    stored = result.delivered - result.duplicates
    delivered = f"{result.delivered} of {sent} to {_urls.mask(url)}"
    if result.delivered:
        delivered += f": {stored} stored, {result.duplicates} already stored (not an error)"
    left = str(result.left)
    if result.left:
        why = list(result.why_not)
        if result.interrupted:
            why.append(
                "interrupted before the server answered; sending the file again is safe: "
                "events already stored come back as duplicates"
            )
        left += f" ({'; '.join(why) or 'the server gave no answer'})"
    rows = [
        ("read", f"{_common.plural(len(parsed), 'non-blank line')} from {name}"),
        ("invalid", f"{len(invalid)}" + (f" ({where}; not sent)" if invalid else "")),
        ("delivered", delivered),
        ("rejected", f"{result.rejected}" + (" (reasons above)" if result.rejected else "")),
        ("not delivered", left),
    ]
    if result.interrupted:
        rows.append(("interrupted", "by Ctrl-C: these are the outcomes so far"))
    return rows


def run(args: argparse.Namespace) -> int:
    """Validate, send, then print a summary; see the exit statuses in --help."""
    config = _common.config_from(args)
    if _common.config_errors(PROG, config):
        return 2
    name = "<stdin>" if args.file == "-" else args.file
    try:
        lines = read_lines(args.file)
    except OSError as exc:
        print(f"{PROG}: cannot read {name}: {exc.strerror}", file=sys.stderr)
        return 2

    parsed = list(parse_lines(lines))
    _check_instance(parsed, config.instance_id)
    invalid = [line for line in parsed if line.event is None]
    for line in invalid:
        for path, message in line.errors:
            print(f"{name}:{line.number}: {path}: {message}")
    events = [line.event for line in parsed if line.event is not None]
    line_of = {str(line.event.event_id): line.number for line in parsed if line.event is not None}

    progress = Progress(len(events), sys.stderr, sys.stderr.isatty() and not args.no_progress)
    result = _deliver(events, args, progress) if events else Delivered()
    for event_id, reason in result.reasons.items():
        print(f"{name}:{line_of.get(event_id, '?')}: rejected by the server: {reason}")
    for warning in dict.fromkeys(result.warnings):  # once each, in order
        print(f"{PROG}: {warning}", file=sys.stderr)
    for why in result.why_not:
        print(f"{PROG}: not delivered: {why}", file=sys.stderr)

    print("summary:")
    for label, value in _summary_rows(
        name, config.server_url, parsed, invalid, len(events), result
    ):
        print(f"  {label:<14}{value}")
    if result.interrupted:
        return 130
    return 1 if invalid or result.rejected or result.left else 0
