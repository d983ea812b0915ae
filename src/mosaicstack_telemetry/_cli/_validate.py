"""`mosaic-telemetry validate`: check a JSON Lines file of events, one error per field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .. import _strict_json as strict_json
from .._models import TaskCompletionEvent
from ._common import plural

_DESCRIPTION = """\
Validate a JSON Lines file: every non-blank line must be one TaskCompletionEvent (event schema
1.0) as a JSON object. event_id and timestamp may be omitted (the SDK fills them in).
Prints FILE:LINE: FIELD: MESSAGE for each problem; exit status 1 if any line is invalid.
"""

_EPILOG = """\
examples:
  mosaic-telemetry validate events.jsonl
  some-exporter | mosaic-telemetry validate -
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `validate` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="check a JSON Lines file of events",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE.jsonl", help="file to check, or - for stdin")
    parser.set_defaults(func=run)


def field_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a path: ('gates', 0, 'x') -> gates[0].x."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(line)"


def _message(error: ErrorDetails) -> str:
    value: Any = error.get("input")
    if error["type"] in ("missing", "json_invalid") or isinstance(value, (dict, list)):
        return error["msg"]
    shown = repr(value)
    return f"{error['msg']} (got {shown[:60]}{'...' if len(shown) > 60 else ''})"


@dataclass(frozen=True)
class ParsedLine:
    """One non-blank line of JSON Lines input: the event, or what is wrong with it."""

    number: int
    """1-based line number in the input."""
    event: TaskCompletionEvent | None
    """The validated event (event_id/timestamp filled in when omitted); None if invalid."""
    errors: list[tuple[str, str]]
    """(field path, message) per problem; empty when the line is valid."""


def parse_lines(lines: Iterable[bytes]) -> Iterator[ParsedLine]:
    """Parse and strictly validate every non-blank line of JSON Lines input, in order."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = strict_json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield ParsedLine(number, None, [("(line)", f"invalid JSON: {exc}")])
            continue
        try:
            # Strict, as the local server validates: "5" or false is not an integer.
            event = strict_json.validate(TaskCompletionEvent, data)
        except ValidationError as exc:
            errors = [
                (field_path(error["loc"]), _message(error))
                for error in exc.errors(include_url=False)
            ]
            yield ParsedLine(number, None, errors)
            continue
        yield ParsedLine(number, event, [])


def line_errors(lines: Iterable[bytes]) -> Iterator[tuple[int, str, str]]:
    """(line number, field path, message) for every problem in JSON Lines input."""
    for parsed in parse_lines(lines):
        for path, message in parsed.errors:
            yield parsed.number, path, message


def read_lines(file: str) -> list[bytes]:
    """The lines of FILE, or of stdin for "-" (raises OSError)."""
    if file == "-":
        return list(sys.stdin.buffer)
    with open(file, "rb") as stream:
        return list(stream)


def run(args: argparse.Namespace) -> int:
    """Validate the file and print one line per problem, then a summary."""
    name = "<stdin>" if args.file == "-" else args.file
    try:
        lines = read_lines(args.file)
    except OSError as exc:
        print(f"mosaic-telemetry validate: cannot read {name}: {exc.strerror}", file=sys.stderr)
        return 2
    bad_lines: set[int] = set()
    for number, path, message in line_errors(lines):
        bad_lines.add(number)
        print(f"{name}:{number}: {path}: {message}")
    events = sum(1 for raw in lines if raw.strip())
    print(
        f"{name}: {events - len(bad_lines)} valid, {len(bad_lines)} invalid "
        f"of {plural(events, 'event')}"
    )
    return 1 if bad_lines else 0
