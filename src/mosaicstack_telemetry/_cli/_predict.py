"""`mosaic-telemetry predict`: fetch one prediction through the SDK and print it as a table."""

from __future__ import annotations

import argparse
import sys

from .. import _urls
from .._generated.models import Complexity, Provider, TaskType
from . import _common

PROG = "mosaic-telemetry predict"

_DESCRIPTION = """\
Ask the server for the prediction of one (task type, model, provider, complexity) combination,
through the SDK (TelemetryClient.refresh_predictions_sync, then get_prediction), and print it:
input/output token percentiles, median cost and duration, correction factors, gate pass and
success rates, and the metadata (sample size, confidence, fallback level, dimensions matched,
fallback note).

exit status:
  0  the server answered (a combination without data is an answer: confidence none)
  1  the server could not be reached or answered an error (the reason is printed)
  2  configuration error (the problems are printed; the key never is), or bad options
"""

_EPILOG = f"""\
examples:
  mosaic-telemetry predict --task-type implementation --model claude-sonnet-4-5-20250929 \\
      --provider anthropic --complexity medium
  mosaic-telemetry predict --task-type testing --model gpt-4o --provider openai \\
      --complexity low --json

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
    """Refresh the prediction, read it from the SDK's cache and print it."""
    from pydantic import ValidationError

    from .._client import TelemetryClient
    from .._generated.models import PredictionQuery

    config = _common.config_from(args, request_timeout_seconds=args.timeout)
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

    with (
        _common.sdk_log(PROG, config.api_key, show=False) as log,
        TelemetryClient(config) as client,
    ):
        client.refresh_predictions_sync([query])
        response = client.get_prediction(query)
    if response is None:
        # refresh_predictions_sync logs and returns on errors: nothing cached means it failed.
        reasons = "; ".join(log.warnings()) or "no answer"
        print(
            f"{PROG}: could not get a prediction from {_urls.mask(config.server_url)}: {reasons}",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(response.model_dump_json(indent=2))
    else:
        print(_common.prediction_table(query, response))
    return 0
