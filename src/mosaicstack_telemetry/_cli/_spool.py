"""`mosaic-telemetry spool status|flush`: what a disk spool holds, and delivering it now."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .._config import ENV_SPOOL_DIR
from . import _common

PROG = "mosaic-telemetry spool"

_DESCRIPTION = f"""\
A client configured with spool_dir (or ${ENV_SPOOL_DIR}) writes the events it could not deliver
before its process ended (shutdown deadline, SIGTERM, a full queue) to that directory; the next
client started with the same directory delivers them first. These commands look at a spool and
deliver it without waiting for an application to start.

  status  files, events and bytes in the spool
  flush   deliver every spooled event now; what cannot be delivered goes back to the spool

exit status:
  0  status printed / the spool is empty after flush
  1  flush left events in the spool (the server refused or did not answer in time)
  2  no spool directory given, or a configuration error (the key is never printed)
"""

_EPILOG = f"""\
examples:
  mosaic-telemetry spool status --spool-dir /var/tmp/mosaic-spool
  {ENV_SPOOL_DIR}=/var/tmp/mosaic-spool mosaic-telemetry spool flush --timeout 60

{_common.CONNECTION_HELP}"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `spool` subcommand."""
    parser = subparsers.add_parser(
        "spool",
        help="show or deliver the events in a disk spool",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["status", "flush"], help="what to do")
    parser.add_argument("--spool-dir", metavar="DIR", help=f"default: ${ENV_SPOOL_DIR}")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="flush: give up after this long, keeping the rest spooled (default: 30)",
    )
    _common.add_connection_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `spool status` or `spool flush`."""
    directory = args.spool_dir or os.environ.get(ENV_SPOOL_DIR, "").strip()
    if not directory:
        print(f"{PROG}: no spool directory: use --spool-dir or {ENV_SPOOL_DIR}", file=sys.stderr)
        return 2
    if args.action == "status":
        return _status(directory)
    return _flush(args, directory)


def _status(directory: str) -> int:
    from .._config import DEFAULT_SPOOL_MAX_BYTES
    from .._spool import Spool

    status = Spool(directory, DEFAULT_SPOOL_MAX_BYTES).status()
    print(f"{directory}: {status.files} files, {status.events} events, {status.bytes} bytes")
    return 0


def _flush(args: argparse.Namespace, directory: str) -> int:
    from .._client import TelemetryClient
    from .._spool import Spool

    config = _common.config_from(args, spool_dir=directory, flush_on_sigterm=False)
    if _common.config_errors(PROG, config):
        return 2
    deadline = time.monotonic() + max(0.0, args.timeout)
    delivered = 0
    with _common.sdk_log(PROG, config.api_key):
        client = TelemetryClient(config)
        try:
            while True:
                client._unspool()
                if client.queue_size == 0:
                    break
                result = client.flush(timeout=max(0.0, deadline - time.monotonic()))
                delivered += result.delivered
                if result.queued:
                    break
        finally:
            client._finish()  # what is still queued goes back to the spool
    left = Spool(directory, config.spool_max_bytes).status().events
    print(f"{PROG}: {delivered} events delivered; {left} left in the spool")
    return 1 if left else 0
