"""`mosaic-telemetry serve`: run the local Telemetry API v1 server (needs the `server` extra)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import Credentials, Store

_DESCRIPTION = """\
Run a local, spec-conformant Telemetry API v1 server that stores events in SQLite.

It binds the port first, then opens (or creates) the database. On the first start with a new
database (and no --api-key) it creates an API key bound to a new instance id and prints the
environment a client needs; the key is shown that once only (the database keeps a hash).
`mosaic-telemetry keys create --db FILE` issues another key at any time.
Requires: pip install 'mosaicstack-telemetry[server]'
"""

_EPILOG = """\
examples:
  mosaic-telemetry serve
  mosaic-telemetry serve --port 8080 --db ./telemetry.db
  mosaic-telemetry serve --port 0          # any free port; the URL is printed
  mosaic-telemetry keys create --db ./telemetry.db   # a new key for a running server
  MOSAIC_TELEMETRY_SERVE_API_KEY=$(openssl rand -hex 32) \\
  MOSAIC_TELEMETRY_SERVE_INSTANCE_ID=$(uuidgen) mosaic-telemetry serve --rate-limit 600
"""

_API_KEY_ENV = "MOSAIC_TELEMETRY_SERVE_API_KEY"
_INSTANCE_ENV = "MOSAIC_TELEMETRY_SERVE_INSTANCE_ID"
_EXTRA_HINT = "pip install 'mosaicstack-telemetry[server]'"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the local Telemetry API v1 server",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8000,
        help="port to bind, 0 for any free one (default: 8000)",
    )
    parser.add_argument(
        "--db",
        default="mosaic-telemetry.db",
        help="SQLite database file, created if missing (default: %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(_API_KEY_ENV),
        help=f"accept this 64-hex-character key (default: ${_API_KEY_ENV}; "
        "prefer the variable: a flag is visible to other local users)",
    )
    parser.add_argument(
        "--instance-id",
        default=os.environ.get(_INSTANCE_ENV),
        help=f"instance id (UUID) the --api-key belongs to (default: ${_INSTANCE_ENV})",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        metavar="N",
        help="allow N requests per minute per key, answering 429 beyond (default: no limit)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        metavar="BYTES",
        help="largest request body accepted, 413 beyond (default: 1 MiB)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 0 to 65535 (0: any free port)")
    return port


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _fail(message: str) -> int:
    print(f"mosaic-telemetry serve: {message}", file=sys.stderr)
    return 1


def _given_credentials(args: argparse.Namespace) -> tuple[str, str] | None:
    """The --api-key/--instance-id pair, checked before anything is opened; ValueError if bad."""
    from ..server import check_credentials

    if not (args.api_key or args.instance_id):
        return None
    if not (args.api_key and args.instance_id):
        raise ValueError("--api-key and --instance-id go together")
    return check_credentials(args.api_key, args.instance_id)


def run(args: argparse.Namespace) -> int:
    """Bind, open the database, issue or accept a key, then serve until interrupted."""
    try:
        from .. import server
    except ImportError as exc:
        return _fail(f"the local server needs the 'server' extra ({exc}); run: {_EXTRA_HINT}")
    if args.rate_limit is not None and args.rate_limit < 1:
        return _fail("--rate-limit must be at least 1")
    if args.max_body_bytes is not None and args.max_body_bytes < 1:
        return _fail("--max-body-bytes must be at least 1")
    config = server.ServerConfig(
        max_body_bytes=args.max_body_bytes or server.DEFAULT_MAX_BODY_BYTES,
        rate_limit_per_minute=args.rate_limit,
    )
    try:
        given = _given_credentials(args)
    except ValueError as exc:
        return _fail(str(exc))
    # The port first: a server that cannot start must leave no database, and above all no key
    # that nobody was shown.
    try:
        sock = server.bind_socket(args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    with sock:
        try:
            store = server.open_store(args.db)
        except server.StoreError as exc:
            return _fail(str(exc))
        try:
            credentials: Credentials | None
            if given is not None:
                credentials = server.register(store, *given)
                created = False
            else:
                credentials = server.create_if_first_start(store)
                created = credentials is not None
            url = server.url_for(sock)
            _announce(url, store, credentials, created, args.db)
            # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
            # previous handler: make both end here, with status 0, after the store is closed.
            signal.signal(signal.SIGTERM, _exit_quietly)
            with contextlib.suppress(KeyboardInterrupt):
                server.serve(store, sock, config, args.log_level)
        finally:
            store.close()
    return 0


def _announce(
    url: str, store: Store, credentials: Credentials | None, created: bool, db: str
) -> None:
    out = [f"Mosaic Telemetry local server on {url} (database: {store.path.resolve()})"]
    if credentials is not None and created:
        out.append(
            "Created an API key for a new instance; it is shown only this once "
            "(the database keeps a hash).\nPoint a client at this server with:"
        )
        out += ["  " + line for line in credentials.env_lines(url)]
    elif credentials is not None:
        out.append(f"Accepting the given API key for instance {credentials.instance_id}:")
        out += ["  " + line for line in credentials.env_lines(url) if "_API_KEY=" not in line]
        out.append("  export MOSAIC_TELEMETRY_API_KEY=<the key you passed>")
    else:
        keys = store.stats().api_keys
        out.append(
            f"{keys} API {'key is' if keys == 1 else 'keys are'} already registered; keys are "
            f"shown only when created. For a new one: mosaic-telemetry keys create --db {db}"
        )
    print("\n".join(out), flush=True)
