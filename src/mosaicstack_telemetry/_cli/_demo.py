"""`mosaic-telemetry demo` (`make demo`): the SDK end to end, as the integration guide drives it.

Starts the local server on a free 127.0.0.1 port with a temporary database and credentials made
up for the run (or, when MOSAIC_TELEMETRY_SERVER_URL is set, uses the server the environment
names), tracks a few hundred synthetic but plausible task-completion events with
TelemetryConfig / TelemetryClient / EventBuilder exactly as the guide's sync example does, stops
the client (which flushes), refreshes predictions for a handful of combinations, prints them and
shuts the server down. Any event not delivered, or prediction not fetched, fails the run.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _urls
from .._config import ENV_API_KEY, ENV_INSTANCE_ID, ENV_SERVER_URL
from .._env_switch import env_decision
from .._generated.models import (
    Complexity,
    Harness,
    Outcome,
    PredictionQuery,
    Provider,
    QualityGate,
    RepoSizeCategory,
    TaskType,
)
from . import _common

if TYPE_CHECKING:
    from .._models import TaskCompletionEvent

PROG = "mosaic-telemetry demo"

_DESCRIPTION = f"""\
See the SDK work end to end, with no API key and no network: start the local Telemetry API v1
server on a free 127.0.0.1 port with a temporary database, track a few hundred realistic
task-completion events through TelemetryClient (as the integration guide does), stop the client
(flush), fetch predictions for a handful of task combinations, print them, stop the server.

With {ENV_SERVER_URL} set (and {ENV_API_KEY}, {ENV_INSTANCE_ID}), the demo sends to that
server instead and starts none; --local ignores the variables.
The events are synthetic (seeded): do not point the demo at a production server.

exit status:
  0  every event was delivered and every prediction fetched
  1  an event was not delivered, a prediction could not be fetched, or the server failed
  2  configuration error (the problems are printed; the key never is), or bad options
"""

_EPILOG = """\
examples:
  mosaic-telemetry demo
  mosaic-telemetry demo --events 300 --seed 7
  MOSAIC_TELEMETRY_SERVER_URL=http://127.0.0.1:8000 MOSAIC_TELEMETRY_API_KEY=... \\
  MOSAIC_TELEMETRY_INSTANCE_ID=... mosaic-telemetry demo
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run the SDK end to end against a local server",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--events", type=int, default=500, metavar="N", help="events to track (default: 500)"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="random seed of the event data (default: 42)"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help=f"use a local server even when ${ENV_SERVER_URL} is set",
    )
    parser.set_defaults(func=run)


# --- synthetic but plausible data ---------------------------------------------------------------


@dataclass(frozen=True)
class ModelProfile:
    """A model as the demo imagines it: who serves it, how it is priced, how it behaves."""

    model: str
    provider: Provider
    harnesses: tuple[Harness, ...]
    weight: float
    input_price: int
    """Microdollars per million input tokens ($3.00/M is 3_000_000)."""
    output_price: int
    """Microdollars per million output tokens."""
    tokens_per_second: float
    skill: float
    """Chance of success on a low-complexity task."""
    context_window: int

    def cost(self, input_tokens: int, output_tokens: int) -> int:
        """Microdollars for these token counts."""
        micros = input_tokens * self.input_price + output_tokens * self.output_price
        return min(100_000_000, round(micros / 1_000_000))


# Prices are list prices per million tokens, in microdollars ($3.00/M -> 3_000_000).
_SONNET, _HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"
MODELS = (
    ModelProfile(
        model=_SONNET,
        provider=Provider.ANTHROPIC,
        harnesses=(Harness.CLAUDE_CODE, Harness.CLAUDE_CODE, Harness.AIDER, Harness.OPENCODE),
        weight=0.50,
        input_price=3_000_000,
        output_price=15_000_000,
        tokens_per_second=60.0,
        skill=0.90,
        context_window=200_000,
    ),
    ModelProfile(
        model=_HAIKU,
        provider=Provider.ANTHROPIC,
        harnesses=(Harness.CLAUDE_CODE, Harness.KILO_CODE, Harness.AIDER),
        weight=0.20,
        input_price=1_000_000,
        output_price=5_000_000,
        tokens_per_second=140.0,
        skill=0.80,
        context_window=200_000,
    ),
    ModelProfile(
        model="gpt-4o",
        provider=Provider.OPENAI,
        harnesses=(Harness.API_DIRECT, Harness.AIDER, Harness.OPENCODE),
        weight=0.17,
        input_price=2_500_000,
        output_price=10_000_000,
        tokens_per_second=80.0,
        skill=0.82,
        context_window=128_000,
    ),
    ModelProfile(
        model="llama3.1:8b",
        provider=Provider.OLLAMA,
        harnesses=(Harness.OLLAMA_LOCAL,),
        weight=0.08,
        input_price=0,
        output_price=0,
        tokens_per_second=35.0,
        skill=0.58,
        context_window=128_000,
    ),
    ModelProfile(
        model="gemini-2.5-pro",
        provider=Provider.GOOGLE,
        harnesses=(Harness.API_DIRECT, Harness.OPENCODE),
        weight=0.05,
        input_price=1_250_000,
        output_price=10_000_000,
        tokens_per_second=90.0,
        skill=0.85,
        context_window=1_000_000,
    ),
)


@dataclass(frozen=True)
class TaskProfile:
    """A kind of task: how often it happens, its typical size, the gates it runs."""

    weight: float
    input_tokens: int
    """Median input tokens at medium complexity."""
    output_ratio: float
    gates: tuple[QualityGate, ...]


_B, _L, _T, _C, _Y = (
    QualityGate.BUILD,
    QualityGate.LINT,
    QualityGate.TEST,
    QualityGate.COVERAGE,
    QualityGate.TYPECHECK,
)
TASKS = {
    TaskType.IMPLEMENTATION: TaskProfile(0.36, 90_000, 0.35, (_B, _L, _T, _Y)),
    TaskType.DEBUGGING: TaskProfile(0.16, 120_000, 0.18, (_B, _T)),
    TaskType.TESTING: TaskProfile(0.14, 60_000, 0.45, (_T, _C)),
    TaskType.CODE_REVIEW: TaskProfile(0.10, 70_000, 0.12, (_L,)),
    TaskType.REFACTORING: TaskProfile(0.10, 85_000, 0.40, (_B, _L, _T, _Y)),
    TaskType.DOCUMENTATION: TaskProfile(0.07, 30_000, 0.50, (_L,)),
    TaskType.PLANNING: TaskProfile(0.05, 40_000, 0.25, ()),
    TaskType.CONFIGURATION: TaskProfile(0.04, 25_000, 0.20, (_B,)),
}
# (weight, token multiplier, drop in success chance)
COMPLEXITIES = {
    Complexity.LOW: (0.28, 0.4, 0.0),
    Complexity.MEDIUM: (0.46, 1.0, 0.06),
    Complexity.HIGH: (0.21, 2.3, 0.16),
    Complexity.CRITICAL: (0.07, 4.5, 0.30),
}
LANGUAGES = {"python": 35, "typescript": 30, "go": 12, "rust": 8, "java": 8, None: 7}
REPO_SIZES = {
    RepoSizeCategory.TINY: 8,
    RepoSizeCategory.SMALL: 25,
    RepoSizeCategory.MEDIUM: 40,
    RepoSizeCategory.LARGE: 20,
    RepoSizeCategory.HUGE: 7,
}

# Some exact matches, a model the data lacks (fallback), a task type it lacks (no data).
QUERIES = [
    PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model=_SONNET,
        provider=Provider.ANTHROPIC,
        complexity=Complexity.MEDIUM,
    ),
    PredictionQuery(
        task_type=TaskType.DEBUGGING,
        model=_SONNET,
        provider=Provider.ANTHROPIC,
        complexity=Complexity.MEDIUM,
    ),
    PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model=_HAIKU,
        provider=Provider.ANTHROPIC,
        complexity=Complexity.LOW,
    ),
    PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model="gpt-4o",
        provider=Provider.OPENAI,
        complexity=Complexity.MEDIUM,
    ),
    PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model="claude-opus-4-1-20250805",
        provider=Provider.ANTHROPIC,
        complexity=Complexity.MEDIUM,
    ),
    PredictionQuery(
        task_type=TaskType.TESTING,
        model="llama3.1:8b",
        provider=Provider.OLLAMA,
        complexity=Complexity.CRITICAL,
    ),
    PredictionQuery(
        task_type=TaskType.SECURITY_AUDIT,
        model="gpt-4o",
        provider=Provider.OPENAI,
        complexity=Complexity.HIGH,
    ),
]


def _pick(rng: random.Random, weights: dict[object, float]) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_event(rng: random.Random, instance_id: str, now: datetime) -> TaskCompletionEvent:
    """One plausible event, built with EventBuilder's setters as the integration guide does."""
    from .. import EventBuilder

    profile = rng.choices(MODELS, weights=[m.weight for m in MODELS])[0]
    task_type = rng.choices(list(TASKS), weights=[t.weight for t in TASKS.values()])[0]
    task = TASKS[task_type]
    complexity = rng.choices(list(COMPLEXITIES), weights=[c[0] for c in COMPLEXITIES.values()])[0]
    _, size, difficulty = COMPLEXITIES[complexity]

    # Token counts are lognormal around the task's size; estimates run a little low on input
    # and a little high on output, as they tend to.
    smaller = 0.6 if profile.provider is Provider.OLLAMA else 1.0
    actual_in = min(
        10_000_000, round(task.input_tokens * size * smaller * rng.lognormvariate(0, 0.45))
    )
    actual_out = min(10_000_000, round(actual_in * task.output_ratio * rng.lognormvariate(0, 0.35)))
    estimated_in = min(10_000_000, round(actual_in / rng.lognormvariate(0.07, 0.2)))
    estimated_out = min(10_000_000, round(actual_out / rng.lognormvariate(-0.1, 0.25)))

    chance = max(0.05, profile.skill - difficulty)
    if rng.random() < chance:
        outcome = Outcome.SUCCESS
    else:
        outcome = rng.choices(
            [Outcome.PARTIAL, Outcome.FAILURE, Outcome.TIMEOUT], weights=[50, 35, 15]
        )[0]

    # Time: generating the output, plus tool and gate runs; a timeout ran long.
    tool_seconds = rng.lognormvariate(math.log(20), 0.6) * (1 + 0.4 * len(task.gates))
    seconds = actual_out / profile.tokens_per_second + tool_seconds * size
    if outcome is Outcome.TIMEOUT:
        seconds = seconds * 2.5 + 600
    duration_ms = min(86_400_000, round(seconds * 1000))

    gates_run = list(task.gates)
    passed = outcome is Outcome.SUCCESS and rng.random() < 0.94
    gates_failed: list[QualityGate] = []
    if not passed and gates_run:
        gates_failed = rng.sample(gates_run, k=rng.randint(1, min(2, len(gates_run))))
    utilization = min(0.99, actual_in / profile.context_window * rng.uniform(0.25, 0.6))
    compactions = min(100, int(actual_in / (profile.context_window * 1.5)))
    retries = 0 if outcome is Outcome.SUCCESS and rng.random() < 0.85 else rng.randint(0, 3)
    when = now - timedelta(seconds=rng.uniform(0, 14 * 86_400))

    return (
        EventBuilder(instance_id=instance_id)
        .task_type(task_type)
        .model(profile.model)
        .provider(profile.provider)
        .harness_type(rng.choice(profile.harnesses))
        .complexity_level(complexity)
        .outcome_value(outcome)
        .duration_ms(duration_ms)
        .tokens(
            estimated_in=estimated_in,
            estimated_out=estimated_out,
            actual_in=actual_in,
            actual_out=actual_out,
        )
        .cost(
            estimated=profile.cost(estimated_in, estimated_out),
            actual=profile.cost(actual_in, actual_out),
        )
        .quality(passed=passed, gates_run=gates_run, gates_failed=gates_failed)
        .context(
            compactions=compactions,
            rotations=1 if compactions > 2 else 0,
            utilization=round(utilization, 3),
        )
        .language(_pick(rng, LANGUAGES))  # type: ignore[arg-type]
        .repo_size(_pick(rng, REPO_SIZES))  # type: ignore[arg-type]
        .retry_count(retries)
        .timestamp(when)
        .build()
    )


def _counts(values: list[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in Counter(values).most_common())


def _enum(member: object) -> str:
    return str(getattr(member, "value", member))


# --- the run ------------------------------------------------------------------------------------


def _fail(message: str, status: int = 1) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Run the demo; see the exit statuses in --help."""
    if args.events < 1:
        return _fail("--events must be at least 1", 2)
    decision, source = env_decision()
    if decision is False:
        return _fail(f"{source} turns the SDK off; unset it to run the demo", 2)

    remote = bool(os.environ.get(ENV_SERVER_URL, "").strip()) and not args.local
    if remote:
        from .._config import TelemetryConfig

        config = TelemetryConfig()  # reads MOSAIC_TELEMETRY_* from the environment
        if _common.config_errors(PROG, config):
            return 2
        print(f"Using the server from ${ENV_SERVER_URL}: {_urls.mask(config.server_url)}")
        return _drive(args, config.server_url, config.api_key, config.instance_id, None)

    try:
        from ..server import BackgroundServer
    except ImportError as exc:
        return _fail(
            f"the local server needs the 'server' extra ({exc}); run: "
            "pip install 'mosaicstack-telemetry[server]' (or set "
            f"{ENV_SERVER_URL}, {ENV_API_KEY} and {ENV_INSTANCE_ID} to use a running server)"
        )
    # A temporary database, and credentials made up for this run (never printed).
    api_key, instance_id = secrets.token_hex(32), str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="mosaic-telemetry-demo-") as tmp:
        try:
            server = BackgroundServer(Path(tmp) / "demo.db", [(api_key, instance_id)]).start()
        except (OSError, RuntimeError) as exc:
            return _fail(f"could not start the local server: {exc}")
        try:
            print(
                f"Started the local Telemetry API v1 server on {server.url} "
                "(temporary database; a new API key and instance id for this run)"
            )
            return _drive(
                args, server.url, api_key, instance_id, lambda: server.store.stats().events
            )
        finally:
            server.stop()
            print("Stopped the local server and removed its temporary database.")


def _drive(
    args: argparse.Namespace,
    server_url: str,
    api_key: str,
    instance_id: str,
    stored_events: Callable[[], int] | None,
) -> int:
    """Track, flush, check delivery, refresh predictions and print them."""
    from .. import TelemetryClient, TelemetryConfig

    # The integration guide's development configuration, minus dry_run.
    config = TelemetryConfig(
        server_url=server_url,
        api_key=api_key,
        instance_id=instance_id,
        submit_interval_seconds=10.0,
    )
    config.max_queue_size = max(config.max_queue_size, args.events)

    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc)
    events = [make_event(rng, config.instance_id, now) for _ in range(args.events)]
    print(
        f"\nTracking {_common.plural(len(events), 'event')} (seed {args.seed}) "
        "with TelemetryClient:"
    )
    print(f"  models:      {_counts([e.model for e in events])}")
    print(f"  task types:  {_counts([_enum(e.task_type) for e in events])}")
    print(f"  complexity:  {_counts([_enum(e.complexity) for e in events])}")
    print(f"  harnesses:   {_counts([_enum(e.harness) for e in events])}")
    print(f"  outcomes:    {_counts([_enum(e.outcome) for e in events])}")
    total_cost = sum(e.actual_cost_usd_micros for e in events)
    print(f"  actual cost: {_common.dollars(total_cost)} in total ({total_cost:,} microdollars)")

    with _common.sdk_log(PROG, config.api_key):
        client = TelemetryClient(config)
        client.start()  # the background submitter sends each batch of 100 as it fills
        for event in events:
            client.track(event)
        client.stop()  # flushes what is left
        stats, left = client.stats, client.queue_size

    print(
        f"Stopped the client (flushed): {stats.delivered:,} delivered in "
        f"{_common.plural(stats.requests, 'request')}, {stats.rejected:,} rejected, "
        f"{_common.plural(stats.duplicates, 'duplicate')}, {stats.dropped:,} dropped, "
        f"{left:,} still queued."
    )
    problems = []
    if stats.delivered != len(events) or stats.duplicates or stats.rejected or left:
        problems.append(
            f"only {stats.delivered - stats.duplicates} of "
            f"{_common.plural(len(events), 'event')} stored"
        )
    if stored_events is not None:
        stored = stored_events()
        print(f"The server's database holds {_common.plural(stored, 'event')}.")
        if stored != len(events):
            problems.append(
                f"the server stored {_common.plural(stored, 'event')}, expected {len(events)}"
            )
    if problems:
        return _fail("events were not all delivered: " + "; ".join(problems))

    with _common.sdk_log(PROG, config.api_key) as log, TelemetryClient(config) as client:
        client.refresh_predictions_sync(QUERIES)
        answers = [(query, client.get_prediction(query)) for query in QUERIES]
    missing = [_common.describe_query(q) for q, a in answers if a is None]
    if missing:
        reason = "; ".join(log.warnings()) or "no answer"
        return _fail(f"could not fetch predictions for {', '.join(missing)}: {reason}")
    rows = [(query, answer) for query, answer in answers if answer is not None]

    print("\nPredictions (refresh_predictions_sync, then get_prediction from the cache):\n")
    print(_common.predictions_summary(rows))
    print(
        "\n  n: events used; fallback: dimensions dropped to find 10+ events (-1: no data);"
        "\n  p50: median input/output tokens, cost, duration; success: share of successful tasks."
    )
    print()
    print(_common.prediction_table(*rows[0]))
    print()
    return 0
