"""The `mosaic-telemetry` command line: one module per subcommand, registered in `_COMMANDS`.

A subcommand module has `register(subparsers)`, which adds its parser and sets `func` (taking the
parsed arguments, returning the exit status). Core install only: stdlib argparse, and anything a
subcommand needs from an extra is imported inside its `func`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from . import _common, _demo, _doctor, _keys, _predict, _send, _serve, _spool, _validate

# Subcommands in `--help` order.
_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _demo.register,
    _serve.register,
    _keys.register,
    _validate.register,
    _send.register,
    _predict.register,
    _doctor.register,
    _spool.register,
]

_EPILOG = """\
examples:
  mosaic-telemetry demo                     see the SDK work end to end against a local server
  mosaic-telemetry serve                    run the local Telemetry API v1 server on :8000
  mosaic-telemetry keys create              issue another API key for the local server
  mosaic-telemetry validate events.jsonl    check a JSON Lines file of events
  mosaic-telemetry send events.jsonl        validate and submit it through the SDK
  mosaic-telemetry predict --task-type implementation --model gpt-4o \\
      --provider openai --complexity medium  show a prediction
  mosaic-telemetry doctor                   check the configuration, the server and the key
  mosaic-telemetry spool status             what the disk spool holds (spool flush: deliver it)
  mosaic-telemetry COMMAND --help           options and examples of one command
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="mosaic-telemetry",
        description="Mosaic Telemetry command line: a local server and tools around the SDK.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "keys"):
        # Both print a newly created key once, on purpose; neither reads a server's answers.
        status: int = args.func(args)
        return status
    with _common.scrubbed_output(_common.command_secrets(args)):
        status = args.func(args)
    return status


def entry_point() -> None:
    """Console-script entry: exit with `main()`'s status (130, quietly, on Ctrl-C)."""
    try:
        status = main()
    except KeyboardInterrupt:
        # Commands clean up in `finally` (send stops its client, which flushes); no traceback.
        print("mosaic-telemetry: interrupted", file=sys.stderr)
        status = 130
    sys.exit(status)
