"""`mosaic-telemetry predict`: one prediction, from the persisted cache or the server."""

from __future__ import annotations

import argparse
import sys

from .._config import ENV_CACHE_DIR
from .._generated.models import Complexity, Provider, TaskType
from . import _common

PROG = "mosaic-telemetry predict"

_DESCRIPTION = f"""\
Show the prediction of one (task type, model, provider, complexity) combination: input/output
token percentiles, median cost and duration, correction factors, gate pass and success rates,
and the metadata (sample size, confidence, fallback level, dimensions matched, fallback note).

The SDK's persisted prediction cache is read first (the one applications share, in
${ENV_CACHE_DIR} or the per-user cache directory): a fresh answer is shown without contacting
the server. Otherwise the server is asked (TelemetryClient.refresh_predictions_sync) and its
answer cached; if it cannot be reached, a stale cached answer is shown instead. Every answer
says how old it is.

exit status:
  0  an answer was shown (a combination without data is an answer: confidence none)
  1  nothing cached and the server could not be reached or answered an error (reason printed)
  2  configuration error (the problems are printed; the key never is), or bad options
"""

_EPILOG = f"""\
examples:
  mosaic-telemetry predict --task-type implementation --model claude-sonnet-4-5-20250929 \\
      --provider anthropic --complexity medium
  mosaic-telemetry predict --task-type testing --model gpt-4o --provider openai \\
      --complexity low --json
  mosaic-telemetry predict ... --refresh      ask the server even if the cached answer is fresh
  mosaic-telemetry predict ... --cache-only   never contact the server

{_common.CONNECTION_HELP}"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `predict` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="show the server's prediction for one task combination",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    query = parser.add_argument_group("query (all required)")
    query.add_argument(
        "--task-type",
        required=True,
        choices=_common.enum_values(TaskType),
        metavar="TYPE",
        help="one of: %(choices)s",
    )
    query.add_argument("--model", required=True, help="model identifier, e.g. gpt-4o")
    query.add_argument(
        "--provider",
        required=True,
        choices=_common.enum_values(Provider),
        metavar="PROVIDER",
        help="one of: %(choices)s",
    )
    query.add_argument(
        "--complexity",
        required=True,
        choices=_common.enum_values(Complexity),
        metavar="LEVEL",
        help="one of: %(choices)s",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the server's answer as JSON instead"
    )
    cache = parser.add_argument_group("cache")
    cache.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"prediction cache directory (default: ${ENV_CACHE_DIR}, else the per-user one)",
    )
    mode = cache.add_mutually_exclusive_group()
    mode.add_argument(
        "--refresh", action="store_true", help="ask the server even if a fresh answer is cached"
    )
    mode.add_argument("--cache-only", action="store_true", help="never contact the server")
    mode.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache: ask the server"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="HTTP timeout (default: %(default)s)",
    )
    _common.add_connection_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Show the cached prediction if fresh, else refresh it from the server, and print it."""
    from pydantic import ValidationError

    from .._cache import cache_key
    from .._client import TelemetryClient
    from .._generated.models import PredictionQuery

    settings: dict[str, object] = {"request_timeout_seconds": args.timeout}
    if not args.no_cache:
        settings["persist_predictions"] = True
        if args.cache_dir:
            settings["prediction_cache_dir"] = args.cache_dir
    config = _common.config_from(args, **settings)
    if _common.config_errors(PROG, config):
        return 2
    try:
        query = PredictionQuery(
            task_type=TaskType(args.task_type),
            model=args.model,
            provider=Provider(args.provider),
            complexity=Complexity(args.complexity),
        )
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            print(f"{PROG}: --{error['loc'][0]}: {error['msg']}", file=sys.stderr)
        return 2

    key = cache_key(query)
    client = TelemetryClient(config)  # never started: no background thread, no event delivery
    cached = client._cache.lookup(key)
    found, problem = cached, ""
    ask = not args.cache_only and (cached is None or cached.stale or args.refresh)
    if ask:
        with _common.sdk_log(PROG, config.api_key, show=False) as log:
            client.refresh_predictions_sync([query])
            client.stop()
        fetched = client._cache.lookup(key)
        if fetched is not None and (cached is None or fetched.age_seconds < cached.age_seconds):
            found = fetched
        else:
            # refresh_predictions_sync logs and returns on errors: nothing new means it failed.
            problem = "; ".join(log.warnings()) or "no answer"
    if found is None:
        if args.cache_only:
            print(f"{PROG}: nothing cached for {_common.describe_query(query)}", file=sys.stderr)
        else:
            print(
                f"{PROG}: could not get a prediction from {config.server_url}: {problem}",
                file=sys.stderr,
            )
        return 1
    age = _age_line(found.age_seconds, found.stale, config.prediction_cache_ttl_seconds, problem)
    if args.json:
        print(found.response.model_dump_json(indent=2))
        print(f"{PROG}: {age}", file=sys.stderr)
    else:
        print(_common.prediction_table(query, found.response))
        print(f"  {'answered':<22}{age}")
    return 0


def _age_line(age: float, stale: bool, ttl: float, problem: str) -> str:
    """How old the answer is, and whether it is stale (and why it was not replaced)."""
    if age < 1.0:
        text = "just now, by the server"
    else:
        text = f"{_common.duration(age)} ago (from the cache)"
    if stale:
        text += f"; stale: older than the cache TTL of {_common.duration(ttl)}"
        if problem:
            text += f", and the server could not be reached ({problem})"
    return text
