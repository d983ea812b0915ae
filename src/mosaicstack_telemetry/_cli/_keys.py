"""`mosaic-telemetry keys`: issue and list the local server's API keys (the `server` extra)."""

from __future__ import annotations

import argparse
import sys

PROG = "mosaic-telemetry keys"
_DEFAULT_DB = "mosaic-telemetry.db"  # the same default as `serve --db`
_EXTRA_HINT = "pip install 'mosaicstack-telemetry[server]'"

_DESCRIPTION = """\
Manage the API keys of a local server's database (the file `mosaic-telemetry serve --db` uses).
The database keeps only a hash of each key, so a key is shown once, when it is created; when a
key is lost, create another. A running server accepts a new key at once, no restart needed.

  create  issue a new key, for a new instance id or for --instance-id, and print it once
  list    show the instance id and creation time of every key (never the keys)

exit status:
  0  done
  1  the database cannot be opened, or the server extra is missing
  2  bad options
"""

_EPILOG = """\
examples:
  mosaic-telemetry keys create --db ./telemetry.db
  mosaic-telemetry keys create --db ./telemetry.db \\
      --instance-id 12345678-1234-1234-1234-123456789abc   # another key, same instance
  mosaic-telemetry keys list --db ./telemetry.db
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `keys` subcommand and its `create` and `list` actions."""
    parser = subparsers.add_parser(
        "keys",
        help="issue or list the local server's API keys",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="issue a new API key and print it once",
        description="Issue a new API key in a local server's database and print it once.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument(
        "--instance-id",
        metavar="UUID",
        help="the instance the key belongs to (default: a new instance id)",
    )
    listing = actions.add_parser(
        "list",
        help="show the instance id and creation time of every key",
        description="Show the instance id and creation time of every key; never the keys.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for sub in (create, listing):
        sub.add_argument(
            "--db",
            default=_DEFAULT_DB,
            help="the server's SQLite database file (default: %(default)s)",
        )
    create.set_defaults(func=run_create)
    listing.set_defaults(func=run_list)


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


def run_create(args: argparse.Namespace) -> int:
    """Issue a key and print the environment a client needs (the URL is the server's)."""
    try:
        from .. import server
    except ImportError as exc:
        return _fail(f"needs the 'server' extra ({exc}); run: {_EXTRA_HINT}")
    try:
        store = server.open_store(args.db, must_exist=True)
    except server.StoreError as exc:
        return _fail(str(exc))
    try:
        credentials = server.create_key(store, args.instance_id)
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        store.close()
    kind = "instance" if args.instance_id else "new instance"
    print(
        f"Created an API key for {kind} {credentials.instance_id} in {store.path.resolve()}; "
        "it is shown only this once (the database keeps a hash).\n"
        "Point a client at the server with (the URL is the one `serve` printed):"
    )
    for line in credentials.env_lines("<the server's URL>"):
        print("  " + line)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print one line per key: instance id and creation time."""
    try:
        from .. import server
    except ImportError as exc:
        return _fail(f"needs the 'server' extra ({exc}); run: {_EXTRA_HINT}")
    try:
        store = server.open_store(args.db, must_exist=True)
    except server.StoreError as exc:
        return _fail(str(exc))
    try:
        records = store.keys()
    finally:
        store.close()
    count = len(records)
    print(f"{count} API {'key' if count == 1 else 'keys'} in {store.path.resolve()}")
    if records:
        print(f"  {'instance_id':<36}  created (UTC)")
        for record in records:
            print(f"  {record.instance_id:<36}  {record.created_at}")
    return 0
