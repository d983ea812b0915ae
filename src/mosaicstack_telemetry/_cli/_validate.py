"""`mosaic-telemetry validate`: check a JSON Lines file of events, one error per field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .. import _strict_json as strict_json
from .._models import TaskCompletionEvent

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


def line_errors(lines: Iterable[bytes]) -> Iterator[tuple[int, str, str]]:
    """(line number, field path, message) for every problem in JSON Lines input."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = strict_json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield number, "(line)", f"invalid JSON: {exc}"
            continue
        try:
            # Strict, as the local server validates: "5" or false is not an integer.
            strict_json.validate(TaskCompletionEvent, data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                yield number, field_path(error["loc"]), _message(error)


def run(args: argparse.Namespace) -> int:
    """Validate the file and print one line per problem, then a summary."""
    name = "<stdin>" if args.file == "-" else args.file
    try:
        if args.file == "-":
            lines = list(sys.stdin.buffer)
        else:
            with open(args.file, "rb") as stream:
                lines = list(stream)
    except OSError as exc:
        print(f"mosaic-telemetry validate: cannot read {name}: {exc.strerror}", file=sys.stderr)
        return 2
    bad_lines: set[int] = set()
    for number, path, message in line_errors(lines):
        bad_lines.add(number)
        print(f"{name}:{number}: {path}: {message}")
    events = sum(1 for raw in lines if raw.strip())
    print(f"{name}: {events - len(bad_lines)} valid, {len(bad_lines)} invalid of {events} events")
    return 1 if bad_lines else 0
