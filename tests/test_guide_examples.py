"""The integration guide's examples, run as written against a real server on 127.0.0.1.

Each snippet below is the guide's code text, copied verbatim (python-sdk-integration-guide). The
only changes a test makes, by exact string replacement that fails if the text is not there:
`server_url` points at the test server, the placeholder API key becomes a well-formed one, and
where the guide assumes an `event` (or `config`, `client`) already exists, the test provides it.
Examples that read `MOSAIC_TELEMETRY_*` get them from the environment, as the guide says.
"""

from __future__ import annotations

import ast
import inspect
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

import mosaicstack_telemetry
from mosaicstack_telemetry import TaskCompletionEvent, TelemetryClient, TelemetryConfig
from tests.factories import API_KEY
from tests.fault_server import FaultServer, Reply
from tests.threads import live_submitters, submitters, thread_starts

GUIDE_URL = '"https://tel-api.mosaicstack.dev"'
GUIDE_KEY = '"your-64-char-hex-api-key-here..."'
GUIDE_INSTANCE = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
LOGGER = "mosaicstack_telemetry"
ENV_VARS = (
    "MOSAIC_TELEMETRY_ENABLED",
    "MOSAIC_TELEMETRY_SERVER_URL",
    "MOSAIC_TELEMETRY_API_KEY",
    "MOSAIC_TELEMETRY_INSTANCE_ID",
)

# -- the guide's code ----------------------------------------------------------------------------

CONSTRUCTOR_CONFIG = """\
from mosaicstack_telemetry import TelemetryConfig

config = TelemetryConfig(
    server_url="https://tel-api.mosaicstack.dev",
    api_key="your-64-char-hex-api-key-here...",
    instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
)
"""

ENV_CONFIG = """\
config = TelemetryConfig() # Reads from environment
"""

SYNC_USAGE = """\
from mosaicstack_telemetry import (
    TelemetryClient,
    TelemetryConfig,
    EventBuilder,
    TaskType,
    Provider,
    Harness,
    Complexity,
    Outcome,
    QualityGate,
)

config = TelemetryConfig(
    server_url="https://tel-api.mosaicstack.dev",
    api_key="your-64-char-hex-api-key-here...",
    instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
)

client = TelemetryClient(config)
client.start()  # Starts background daemon thread

event = (
    EventBuilder(instance_id=config.instance_id)
    .task_type(TaskType.IMPLEMENTATION)
    .model("claude-sonnet-4-5-20250929")
    .provider(Provider.ANTHROPIC)
    .harness_type(Harness.CLAUDE_CODE)
    .complexity_level(Complexity.MEDIUM)
    .outcome_value(Outcome.SUCCESS)
    .duration_ms(45000)
    .tokens(estimated_in=105000, estimated_out=45000, actual_in=112340, actual_out=38760)
    .cost(estimated=630000, actual=919200)
    .quality(
        passed=True,
        gates_run=[QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST, QualityGate.TYPECHECK],
    )
    .context(compactions=2, rotations=0, utilization=0.72)
    .language("typescript")
    .build()
)

client.track(event)  # Non-blocking, thread-safe

client.stop()  # Flushes remaining events and stops the thread
"""

SYNC_CONTEXT_MANAGER = """\
with TelemetryClient(config) as client:
    client.track(event)
# Automatically flushed and stopped here
"""

ASYNC_USAGE = """\
import asyncio
from mosaicstack_telemetry import TelemetryClient, TelemetryConfig

async def main():
    config = TelemetryConfig(
        server_url="https://tel-api.mosaicstack.dev",
        api_key="your-64-char-hex-api-key-here...",
        instance_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    )
    client = TelemetryClient(config)
    await client.start_async()  # Starts asyncio background task

    # track() is always synchronous and non-blocking
    client.track(event)

    await client.stop_async()  # Flushes remaining events

asyncio.run(main())
"""

ASYNC_CONTEXT_MANAGER = """\
async with TelemetryClient(config) as client:
    client.track(event)
# Automatically flushed and stopped here
"""

FASTAPI_SERVICE = """\
import os
import time
from contextlib import asynccontextmanager
from uuid import UUID

from fastapi import FastAPI
from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    TaskType,
    TelemetryClient,
    TelemetryConfig,
)

# Initialize telemetry once at startup
config = TelemetryConfig(
    server_url=os.environ.get("MOSAIC_TELEMETRY_SERVER_URL", "https://tel-api.mosaicstack.dev"),
    api_key=os.environ["MOSAIC_TELEMETRY_API_KEY"],
    instance_id=os.environ["MOSAIC_TELEMETRY_INSTANCE_ID"],
)
telemetry = TelemetryClient(config)


@asynccontextmanager
async def lifespan(app: FastAPI):
    \"\"\"Start telemetry on app startup, flush on shutdown.\"\"\"
    await telemetry.start_async()
    yield
    await telemetry.stop_async()


app = FastAPI(lifespan=lifespan)


@app.post("/tasks/complete")
async def complete_task(
    task_type: str,
    model: str,
    provider: str,
    complexity: str,
    actual_input_tokens: int,
    actual_output_tokens: int,
    actual_cost_usd_micros: int,
    duration_ms: int,
    outcome: str,
):
    \"\"\"Record a completed AI coding task.\"\"\"
    event = (
        EventBuilder(instance_id=config.instance_id)
        .task_type(TaskType(task_type))
        .model(model)
        .provider(Provider(provider))
        .harness_type(Harness.CLAUDE_CODE)
        .complexity_level(Complexity(complexity))
        .outcome_value(Outcome(outcome))
        .duration_ms(duration_ms)
        .tokens(
            estimated_in=0,
            estimated_out=0,
            actual_in=actual_input_tokens,
            actual_out=actual_output_tokens,
        )
        .cost(estimated=0, actual=actual_cost_usd_micros)
        .quality(passed=outcome == "success", gates_run=[QualityGate.BUILD, QualityGate.TEST])
        .context(compactions=0, rotations=0, utilization=0.0)
        .build()
    )

    telemetry.track(event)  # Non-blocking, never throws
    return {"status": "tracked"}
"""

GENERIC_APP = '''\
"""
Generic Python script that tracks AI coding tasks.
Suitable for CLI tools, batch processors, or any non-async application.
"""

import os
import time

from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    RepoSizeCategory,
    TaskType,
    TelemetryClient,
    TelemetryConfig,
)


def run_coding_task() -> dict:
    """Simulate an AI coding task. Returns task metrics."""
    start = time.monotonic()
    # ... your AI coding logic here ...
    elapsed_ms = int((time.monotonic() - start) * 1000)

    return {
        "duration_ms": elapsed_ms,
        "actual_input_tokens": 4500,
        "actual_output_tokens": 1800,
        "actual_cost_usd_micros": 48000,
        "outcome": "success",
        "quality_gates_passed": True,
    }


def main():
    config = TelemetryConfig()  # Reads from MOSAIC_TELEMETRY_* env vars

    with TelemetryClient(config) as client:
        result = run_coding_task()

        event = (
            EventBuilder(instance_id=config.instance_id)
            .task_type(TaskType.IMPLEMENTATION)
            .model("claude-sonnet-4-5-20250929")
            .provider(Provider.ANTHROPIC)
            .harness_type(Harness.AIDER)
            .complexity_level(Complexity.MEDIUM)
            .outcome_value(Outcome(result["outcome"]))
            .duration_ms(result["duration_ms"])
            .tokens(
                estimated_in=5000,
                estimated_out=2000,
                actual_in=result["actual_input_tokens"],
                actual_out=result["actual_output_tokens"],
            )
            .cost(estimated=50000, actual=result["actual_cost_usd_micros"])
            .quality(
                passed=result["quality_gates_passed"],
                gates_run=[QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST],
            )
            .context(compactions=0, rotations=0, utilization=0.35)
            .language("python")
            .repo_size(RepoSizeCategory.MEDIUM)
            .build()
        )

        client.track(event)
        print(f"Tracked task: {event.event_id}")

    # Client is automatically flushed and stopped after the `with` block


if __name__ == "__main__":
    main()
'''

TOKENS_AND_COST = """\
event = (
    EventBuilder(instance_id=config.instance_id)
    # ... other fields ...
    .tokens(
        estimated_in=105000,   # Pre-task estimate: input tokens
        estimated_out=45000,   # Pre-task estimate: output tokens
        actual_in=112340,      # Actual input tokens consumed
        actual_out=38760,      # Actual output tokens generated
    )
    .cost(
        estimated=630000,      # $0.63 in microdollars
        actual=919200,         # $0.92 in microdollars
    )
    .build()
)
"""

QUALITY_GATES = """\
event = (
    EventBuilder(instance_id=config.instance_id)
    # ... other fields ...
    .quality(
        passed=False,
        gates_run=[QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST, QualityGate.COVERAGE],
        gates_failed=[QualityGate.COVERAGE],
    )
    .build()
)
"""

FETCHING_PREDICTIONS = """\
from mosaicstack_telemetry import PredictionQuery, TaskType, Provider, Complexity

queries = [
    PredictionQuery(
        task_type=TaskType.IMPLEMENTATION,
        model="claude-sonnet-4-5-20250929",
        provider=Provider.ANTHROPIC,
        complexity=Complexity.MEDIUM,
    ),
    PredictionQuery(
        task_type=TaskType.TESTING,
        model="claude-haiku-4-5-20251001",
        provider=Provider.ANTHROPIC,
        complexity=Complexity.LOW,
    ),
]

# Async
await client.refresh_predictions(queries)

# Sync
client.refresh_predictions_sync(queries)
"""

READING_FROM_CACHE = """\
prediction = client.get_prediction(queries[0])
if prediction and prediction.prediction:
    data = prediction.prediction
    print(f"Input tokens (median): {data.input_tokens.median}")
    print(f"Input tokens (p90): {data.input_tokens.p90}")
    print(f"Output tokens (median): {data.output_tokens.median}")
    print(f"Cost (median): ${data.cost_usd_micros['median'] / 1_000_000:.4f}")
    print(f"Duration (median): {data.duration_ms['median'] / 1000:.1f}s")
    print(f"Correction factor (input): {data.correction_factors.input:.2f}")
    print(f"Quality gate pass rate: {data.quality.gate_pass_rate:.0%}")
    print(f"Success rate: {data.quality.success_rate:.0%}")

    meta = prediction.metadata
    print(f"Sample size: {meta.sample_size}")
    print(f"Confidence: {meta.confidence}")
    if meta.fallback_note:
        print(f"Note: {meta.fallback_note}")
else:
    print("No prediction data available for this combination")
"""

DRY_RUN = """\
config = TelemetryConfig(
    server_url="https://tel-api.mosaicstack.dev",
    api_key="a" * 64,
    instance_id="12345678-1234-1234-1234-123456789abc",
    dry_run=True,
)

with TelemetryClient(config) as client:
    client.track(event)
    # Logs: "[DRY RUN] Would submit batch of 1 events to ..."
"""

DISABLING = """\
config = TelemetryConfig(enabled=False)

with TelemetryClient(config) as client:
    client.track(event)  # Silently dropped, no background thread started
"""

# -- running it ----------------------------------------------------------------------------------


def as_written(snippet: str, *replacements: tuple[str, str]) -> str:
    """The snippet with each (guide text, test value) swapped; the guide text must be there."""
    for old, new in replacements:
        assert old in snippet, f"the guide's snippet no longer contains {old}"
        snippet = snippet.replace(old, new)
    return snippet


def at(server: FaultServer) -> tuple[tuple[str, str], tuple[str, str]]:
    """Point the guide's server_url at the test server and give it a well-formed API key."""
    return (GUIDE_URL, repr(server.url)), (GUIDE_KEY, repr(API_KEY))


def _compile(code: str, name: str) -> Any:
    return compile(code, f"<guide: {name}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def run(code: str, namespace: dict[str, Any], name: str) -> dict[str, Any]:
    """Execute guide code in `namespace` (its globals) and return the namespace."""
    result = eval(_compile(code, name), namespace)
    assert result is None, f"{name} has top-level await: use run_async"
    return namespace


async def run_async(code: str, namespace: dict[str, Any], name: str) -> dict[str, Any]:
    """Execute guide code that may use top-level `await`, on the running event loop."""
    result = eval(_compile(code, name), namespace)
    if inspect.iscoroutine(result):
        await result
    return namespace


def sdk_names() -> dict[str, Any]:
    """The guide's snippets after the first assume the SDK's names are imported."""
    return {name: getattr(mosaicstack_telemetry, name) for name in mosaicstack_telemetry.__all__}


def guide_config(server: FaultServer) -> TelemetryConfig:
    """`config` from the guide's Constructor Parameters snippet, pointed at the test server."""
    ns = run(as_written(CONSTRUCTOR_CONFIG, *at(server)), {}, "Constructor Parameters")
    config: TelemetryConfig = ns["config"]
    return config


def guide_event(config: TelemetryConfig) -> TaskCompletionEvent:
    """`event` as the guide's Sync Usage example builds it."""
    start = SYNC_USAGE.index("event = (")
    end = SYNC_USAGE.index("client.track(event)")
    ns = run(SYNC_USAGE[start:end], {**sdk_names(), "config": config}, "Sync Usage event")
    event: TaskCompletionEvent = ns["event"]
    return event


def stored(server: FaultServer, event_id: object) -> dict[str, Any]:
    return server.stored_events[str(event_id)]


def assert_sync_example_event(wire: dict[str, Any], instance_id: str = GUIDE_INSTANCE) -> None:
    """The field values of the event the guide's Sync Usage example builds, as stored."""
    assert wire["instance_id"] == instance_id
    assert wire["schema_version"] == "1.0"
    assert wire["task_type"] == "implementation"
    assert wire["model"] == "claude-sonnet-4-5-20250929"
    assert wire["provider"] == "anthropic"
    assert wire["harness"] == "claude_code"
    assert wire["complexity"] == "medium"
    assert wire["outcome"] == "success"
    assert wire["task_duration_ms"] == 45000
    assert wire["estimated_input_tokens"] == 105000
    assert wire["estimated_output_tokens"] == 45000
    assert wire["actual_input_tokens"] == 112340
    assert wire["actual_output_tokens"] == 38760
    assert wire["estimated_cost_usd_micros"] == 630000
    assert wire["actual_cost_usd_micros"] == 919200
    assert wire["quality_gate_passed"] is True
    assert wire["quality_gates_run"] == ["build", "lint", "test", "typecheck"]
    assert wire["quality_gates_failed"] == []
    assert wire["context_compactions"] == 2
    assert wire["context_rotations"] == 0
    assert wire["context_utilization_final"] == 0.72
    assert wire["language"] == "typescript"
    assert wire["repo_size_category"] is None
    assert wire["retry_count"] == 0


def config_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "config problem" in r.getMessage()]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The developer's own MOSAIC_TELEMETRY_* must not leak into the guide's examples.
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    caplog.set_level(logging.INFO, logger=LOGGER)


# -- Configuration -------------------------------------------------------------------------------


def test_environment_variables_config(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "true")
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", fault_server.url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", GUIDE_INSTANCE)
    config = run(ENV_CONFIG, sdk_names(), "Environment Variables")["config"]
    assert (config.server_url, config.api_key, config.instance_id) == (
        fault_server.url,
        API_KEY,
        GUIDE_INSTANCE,
    )
    assert config.enabled is True
    assert config.validate() == []
    # "Constructor values take priority over environment variables."
    other = "http://127.0.0.1:1"
    assert TelemetryConfig(server_url=other).server_url == other


# -- Sync Usage (Threading) ----------------------------------------------------------------------


def test_sync_usage(fault_server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    with thread_starts() as started:
        ns = run(as_written(SYNC_USAGE, *at(fault_server)), {}, "Sync Usage")
    # client.start() spawned one daemon submitter thread; client.stop() ended it.
    (thread,) = submitters(started)
    assert thread.daemon
    assert not thread.is_alive()
    client, event = ns["client"], ns["event"]
    assert not client.is_running
    assert client.queue_size == 0
    assert list(fault_server.stored_events) == [str(event.event_id)]
    assert_sync_example_event(stored(fault_server, event.event_id))
    (post,) = fault_server.event_posts()
    assert post.headers["Authorization"] == f"Bearer {API_KEY}"
    assert (
        post.headers["User-Agent"]
        == f"mosaicstack-telemetry-python/{mosaicstack_telemetry.__version__}"
    )
    assert client.stats.delivered == 1
    assert config_warnings(caplog) == []


def test_sync_usage_placeholder_key_is_reported_but_not_fatal(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Only server_url changed: the guide's placeholder key is not 64 hex characters. The client
    # warns about it (it never echoes the key) and still works; the test server does not check it.
    code = as_written(SYNC_USAGE, (GUIDE_URL, repr(fault_server.url)))
    ns = run(code, {}, "Sync Usage")
    (warning,) = config_warnings(caplog)
    assert "api_key must be a 64-character hex string" in warning
    assert "your-64-char" not in caplog.text
    assert list(fault_server.stored_events) == [str(ns["event"].event_id)]


def test_sync_context_manager(fault_server: FaultServer) -> None:
    config = guide_config(fault_server)
    event = guide_event(config)
    ns = {**sdk_names(), "config": config, "event": event}
    with thread_starts() as started:
        run(SYNC_CONTEXT_MANAGER, ns, "Sync Context Manager")
    # Entering started the thread, leaving stopped it after flushing.
    (thread,) = submitters(started)
    assert not thread.is_alive()
    assert not ns["client"].is_running
    assert list(fault_server.stored_events) == [str(event.event_id)]
    assert_sync_example_event(stored(fault_server, event.event_id))


# -- Async Usage (asyncio) -----------------------------------------------------------------------


def test_async_usage(fault_server: FaultServer) -> None:
    event = guide_event(guide_config(fault_server))
    with thread_starts() as started:
        run(as_written(ASYNC_USAGE, *at(fault_server)), {"event": event}, "Async Usage")
    # The async driver is an asyncio task: no submitter thread.
    assert submitters(started) == []
    assert list(fault_server.stored_events) == [str(event.event_id)]
    assert_sync_example_event(stored(fault_server, event.event_id))
    (post,) = fault_server.event_posts()
    assert post.headers["Authorization"] == f"Bearer {API_KEY}"


async def test_async_context_manager(fault_server: FaultServer) -> None:
    config = guide_config(fault_server)
    event = guide_event(config)
    ns = {**sdk_names(), "config": config, "event": event}
    with thread_starts() as started:
        await run_async(ASYNC_CONTEXT_MANAGER, ns, "Async Context Manager")
    assert submitters(started) == []
    assert not ns["client"].is_running
    assert ns["client"].queue_size == 0
    assert list(fault_server.stored_events) == [str(event.event_id)]
    assert_sync_example_event(stored(fault_server, event.event_id))


# -- Example 1: Instrumenting a FastAPI Service --------------------------------------------------


def test_fastapi_service(fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi", reason="Example 1 needs fastapi (not a dependency of the SDK)")
    testclient = pytest.importorskip("fastapi.testclient")
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", fault_server.url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", GUIDE_INSTANCE)
    ns = run(FASTAPI_SERVICE, {"__name__": "guide_fastapi_service"}, "FastAPI Service")
    params = {
        "task_type": "debugging",
        "model": "claude-sonnet-4-5-20250929",
        "provider": "anthropic",
        "complexity": "high",
        "actual_input_tokens": 20000,
        "actual_output_tokens": 5000,
        "actual_cost_usd_micros": 150000,
        "duration_ms": 60000,
        "outcome": "success",
    }
    with testclient.TestClient(ns["app"]) as http:
        # Lifespan startup ran start_async().
        assert ns["telemetry"].is_running
        response = http.post("/tasks/complete", params=params)
        assert response.status_code == 200
        assert response.json() == {"status": "tracked"}
    # Lifespan shutdown ran stop_async(), which flushed the event.
    assert not ns["telemetry"].is_running
    (wire,) = fault_server.stored_events.values()
    assert wire["instance_id"] == GUIDE_INSTANCE
    assert wire["task_type"] == "debugging"
    assert wire["complexity"] == "high"
    assert wire["harness"] == "claude_code"
    assert (wire["actual_input_tokens"], wire["actual_output_tokens"]) == (20000, 5000)
    assert (wire["estimated_input_tokens"], wire["estimated_output_tokens"]) == (0, 0)
    assert wire["actual_cost_usd_micros"] == 150000
    assert wire["task_duration_ms"] == 60000
    assert wire["quality_gate_passed"] is True
    assert wire["quality_gates_run"] == ["build", "test"]
    (post,) = fault_server.event_posts()
    assert post.headers["Authorization"] == f"Bearer {API_KEY}"


# -- Example 2: Instrumenting a Generic Python App -----------------------------------------------


def test_generic_python_app(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "true")
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", fault_server.url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", GUIDE_INSTANCE)
    # Run as a script: the guide's own `if __name__ == "__main__": main()` calls main().
    with thread_starts() as started:
        run(GENERIC_APP, {"__name__": "__main__"}, "Generic Python App")
    out = capsys.readouterr().out
    assert out.startswith("Tracked task: ")
    event_id = out.removeprefix("Tracked task: ").strip()
    assert uuid.UUID(event_id).version == 4
    assert list(fault_server.stored_events) == [event_id]
    wire = stored(fault_server, event_id)
    assert wire["instance_id"] == GUIDE_INSTANCE
    assert wire["harness"] == "aider"
    assert wire["outcome"] == "success"
    assert (wire["estimated_input_tokens"], wire["estimated_output_tokens"]) == (5000, 2000)
    assert (wire["actual_input_tokens"], wire["actual_output_tokens"]) == (4500, 1800)
    assert (wire["estimated_cost_usd_micros"], wire["actual_cost_usd_micros"]) == (50000, 48000)
    assert wire["quality_gate_passed"] is True
    assert wire["quality_gates_run"] == ["build", "lint", "test"]
    assert wire["context_utilization_final"] == 0.35
    assert wire["language"] == "python"
    assert wire["repo_size_category"] == "medium"
    assert 0 <= wire["task_duration_ms"] < 1000
    # The `with` block stopped the thread it started.
    (thread,) = submitters(started)
    assert not thread.is_alive()


# -- Building Events -----------------------------------------------------------------------------


def test_token_and_cost_values(fault_server: FaultServer) -> None:
    config = guide_config(fault_server)
    ns = run(TOKENS_AND_COST, {**sdk_names(), "config": config}, "Token and Cost Values")
    event = ns["event"]
    assert (event.estimated_input_tokens, event.estimated_output_tokens) == (105000, 45000)
    assert (event.actual_input_tokens, event.actual_output_tokens) == (112340, 38760)
    assert (event.estimated_cost_usd_micros, event.actual_cost_usd_micros) == (630000, 919200)
    run(SYNC_CONTEXT_MANAGER, ns, "Sync Context Manager")
    wire = stored(fault_server, event.event_id)
    assert (wire["estimated_input_tokens"], wire["estimated_output_tokens"]) == (105000, 45000)
    assert (wire["actual_input_tokens"], wire["actual_output_tokens"]) == (112340, 38760)
    assert (wire["estimated_cost_usd_micros"], wire["actual_cost_usd_micros"]) == (630000, 919200)
    # "... other fields ..." were left out: the Required Fields table's defaults apply.
    assert wire["task_type"] == "unknown"
    assert wire["model"] == "unknown"
    assert wire["provider"] == "unknown"
    assert wire["harness"] == "unknown"
    assert wire["complexity"] == "medium"
    assert wire["outcome"] == "failure"
    assert wire["task_duration_ms"] == 0
    assert wire["quality_gate_passed"] is False
    assert (wire["quality_gates_run"], wire["quality_gates_failed"]) == ([], [])
    assert (wire["context_compactions"], wire["context_rotations"]) == (0, 0)
    assert wire["context_utilization_final"] == 0.0
    assert (wire["language"], wire["repo_size_category"], wire["retry_count"]) == (None, None, 0)


def test_quality_gates(fault_server: FaultServer) -> None:
    config = guide_config(fault_server)
    ns = run(QUALITY_GATES, {**sdk_names(), "config": config}, "Quality Gates")
    event = ns["event"]
    assert event.quality_gate_passed is False
    run(SYNC_CONTEXT_MANAGER, ns, "Sync Context Manager")
    wire = stored(fault_server, event.event_id)
    assert wire["quality_gate_passed"] is False
    assert wire["quality_gates_run"] == ["build", "lint", "test", "coverage"]
    assert wire["quality_gates_failed"] == ["coverage"]
    # "Available gates: BUILD, LINT, TEST, COVERAGE, TYPECHECK, SECURITY."
    gates = mosaicstack_telemetry.QualityGate
    assert [g.name for g in gates] == ["BUILD", "LINT", "TEST", "COVERAGE", "TYPECHECK", "SECURITY"]


# -- Querying Predictions ------------------------------------------------------------------------


def prediction(fallback_note: str | None) -> dict[str, Any]:
    """A real prediction as the server would answer it."""
    return {
        "prediction": {
            "input_tokens": {
                "p10": 40000,
                "p25": 61000,
                "median": 95000,
                "p75": 130000,
                "p90": 181000,
            },
            "output_tokens": {
                "p10": 9000,
                "p25": 18000,
                "median": 30500,
                "p75": 41000,
                "p90": 52000,
            },
            "cost_usd_micros": {"median": 857300},
            "duration_ms": {"median": 42500},
            "correction_factors": {"input": 1.0735, "output": 0.86},
            "quality": {"gate_pass_rate": 0.81, "success_rate": 0.9},
        },
        "metadata": {
            "sample_size": 250 if fallback_note is None else 12,
            "fallback_level": 0 if fallback_note is None else 1,
            "confidence": "high" if fallback_note is None else "low",
            "last_updated": "2026-11-22T00:00:00Z",
            "dimensions_matched": None,
            "fallback_note": fallback_note,
            "cache_hit": False,
        },
    }


NO_DATA: dict[str, Any] = {
    "prediction": None,
    "metadata": {"sample_size": 0, "fallback_level": -1, "confidence": "none"},
}

PRINTED = """\
Input tokens (median): 95000
Input tokens (p90): 181000
Output tokens (median): 30500
Cost (median): $0.8573
Duration (median): 42.5s
Correction factor (input): 1.07
Quality gate pass rate: 81%
Success rate: 90%
"""

QUERIES_JSON = [
    {
        "task_type": "implementation",
        "model": "claude-sonnet-4-5-20250929",
        "provider": "anthropic",
        "complexity": "medium",
    },
    {
        "task_type": "testing",
        "model": "claude-haiku-4-5-20251001",
        "provider": "anthropic",
        "complexity": "low",
    },
]


def prediction_posts(server: FaultServer) -> list[Any]:
    return [r.json() for r in server.requests if r.path == "/v1/predictions/batch"]


def fetch_only(refresh: str) -> str:
    """The Fetching Predictions snippet with only its `# Async` or its `# Sync` call."""
    queries = FETCHING_PREDICTIONS[: FETCHING_PREDICTIONS.index("# Async")]
    call = {
        "async": "await client.refresh_predictions(queries)\n",
        "sync": "client.refresh_predictions_sync(queries)\n",
    }[refresh]
    assert call in FETCHING_PREDICTIONS
    return queries + call


async def test_fetching_predictions_async_then_sync(fault_server: FaultServer) -> None:
    fault_server.script(
        Reply(status=200, json_body={"results": [prediction(None), NO_DATA]}),
        Reply(status=200, json_body={"results": [prediction("model dropped"), NO_DATA]}),
    )
    async with TelemetryClient(guide_config(fault_server)) as client:
        ns = await run_async(FETCHING_PREDICTIONS, {"client": client}, "Fetching Predictions")
        # Two requests, one per refresh, each asking for both queries in order.
        assert prediction_posts(fault_server) == [{"queries": QUERIES_JSON}] * 2
        first, second = (client.get_prediction(q) for q in ns["queries"])
        # The sync refresh ran last: its answer is what the cache holds.
        assert first is not None
        assert first.metadata.fallback_note == "model dropped"
        assert second is not None
        assert second.prediction is None
        assert second.metadata.confidence == "none"
    assert fault_server.event_posts() == []


@pytest.mark.parametrize(
    ("refresh", "note"), [("sync", None), ("async", "Fewer than 10 events matched the model")]
)
async def test_reading_from_cache(
    fault_server: FaultServer, capsys: pytest.CaptureFixture[str], refresh: str, note: str | None
) -> None:
    fault_server.script(Reply(status=200, json_body={"results": [prediction(note), NO_DATA]}))
    async with TelemetryClient(guide_config(fault_server)) as client:
        ns = await run_async(fetch_only(refresh), {"client": client}, "Fetching Predictions")
        run(READING_FROM_CACHE, ns, "Reading from Cache")
    assert len(prediction_posts(fault_server)) == 1
    expected = PRINTED + (
        "Sample size: 250\nConfidence: high\n"
        if note is None
        else f"Sample size: 12\nConfidence: low\nNote: {note}\n"
    )
    assert capsys.readouterr().out == expected


def test_reading_from_cache_without_data(
    fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The test server has no events, so it answers "no data" (confidence none).
    with TelemetryClient(guide_config(fault_server)) as client:
        ns = run(fetch_only("sync"), {"client": client}, "Fetching Predictions")
        run(READING_FROM_CACHE, ns, "Reading from Cache")
        assert client.get_prediction(ns["queries"][0]) is not None
    assert len(prediction_posts(fault_server)) == 1
    assert capsys.readouterr().out == "No prediction data available for this combination\n"


# -- Dry-Run Mode, Disabling Telemetry -----------------------------------------------------------


def test_dry_run_mode(fault_server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    event = guide_event(guide_config(fault_server))
    code = as_written(DRY_RUN, (GUIDE_URL, repr(fault_server.url)))
    ns = run(code, {**sdk_names(), "event": event}, "Dry-Run Mode")
    logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    expected = f"[DRY RUN] Would submit batch of 1 events to {fault_server.url}/v1/events/batch"
    assert expected in logged
    assert fault_server.requests == []
    assert ns["client"].stats.dry_run == 1
    assert ns["client"].queue_size == 0


def test_disabling_telemetry(fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Everything else is configured and points at the test server: only enabled=False stops it.
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", fault_server.url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", GUIDE_INSTANCE)
    event = guide_event(guide_config(fault_server))
    before = set(threading.enumerate())
    with thread_starts() as started:
        ns = run(DISABLING, {**sdk_names(), "event": event}, "Disabling Telemetry")
    assert started == []
    assert set(threading.enumerate()) == before
    assert live_submitters() == []
    client = ns["client"]
    assert ns["config"].enabled is False
    assert not client.is_running
    assert client.queue_size == 0
    assert fault_server.requests == []


# -- docs/usage.md -------------------------------------------------------------------------------


def _python_blocks(path: Path, heading: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_usage_doc_shows_the_guide_examples_verbatim() -> None:
    # The code users copy from docs/usage.md is the code these tests run.
    docs = Path(__file__).resolve().parent.parent / "docs" / "usage.md"
    assert _python_blocks(docs, "## Sync usage") == [SYNC_USAGE]
    assert _python_blocks(docs, "## Async usage") == [ASYNC_USAGE]
