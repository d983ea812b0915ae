"""Cold-start figures for `make bench`: what a short-lived tool pays for its first event.

Each figure runs in fresh interpreters (a new `python` process per run), since a warm process
hides exactly the costs measured here: imports, validators built on first use, the worker's
HTTP machinery. `profile()` prints where the first event's time goes.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any, Protocol

INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
API_KEY = "0123456789abcdef" * 4
SHORT_LIVED_RUNS = 5  # whole processes per figure-9 run, with and without the SDK each

# The guide's first event, step by step, each step timed on the caller's thread.
FIRST_EVENT = f"""
import json, sys, time
marks = [("start", time.perf_counter())]
import mosaicstack_telemetry as mt
marks.append(("import", time.perf_counter()))
config = mt.TelemetryConfig(
    server_url=sys.argv[1], api_key="{API_KEY}", instance_id="{INSTANCE_ID}"
)
marks.append(("TelemetryConfig()", time.perf_counter()))
client = mt.TelemetryClient(config)
marks.append(("TelemetryClient()", time.perf_counter()))
event = (
    mt.EventBuilder(instance_id=config.instance_id)
    .task_type(mt.TaskType.IMPLEMENTATION)
    .model("claude-sonnet-4-5-20250929")
    .provider(mt.Provider.ANTHROPIC)
    .harness_type(mt.Harness.CLAUDE_CODE)
    .complexity_level(mt.Complexity.MEDIUM)
    .outcome_value(mt.Outcome.SUCCESS)
    .duration_ms(45000)
    .tokens(estimated_in=105000, estimated_out=45000, actual_in=112340, actual_out=38760)
    .cost(estimated=630000, actual=919200)
    .build()
)
marks.append(("first build()", time.perf_counter()))
client.track(event)
marks.append(("track()", time.perf_counter()))
httpx_loaded = "httpx" in sys.modules
client.start()
marks.append(("start()", time.perf_counter()))
client.stop()
print(json.dumps({{
    "steps": [[name, (t - marks[i][1]) * 1e3] for i, (name, t) in enumerate(marks[1:])],
    "first_event_ms": (marks[5][1] - marks[0][1]) * 1e3,
    "start_ms": (marks[6][1] - marks[5][1]) * 1e3,
    "httpx_before_start": httpx_loaded,
    "delivered": client.stats.delivered,
}}))
"""

# A short-lived tool: does its work, reports one event, exits (the atexit flush delivers it).
SHORT_LIVED_WITH_SDK = f"""
import sys
import mosaicstack_telemetry as mt
config = mt.TelemetryConfig(
    server_url=sys.argv[1], api_key="{API_KEY}", instance_id="{INSTANCE_ID}"
)
client = mt.TelemetryClient(config)
client.start()
client.track(
    mt.EventBuilder(instance_id=config.instance_id)
    .task_type(mt.TaskType.IMPLEMENTATION)
    .model("claude-sonnet-4-5-20250929")
    .outcome_value(mt.Outcome.SUCCESS)
    .build()
)
"""
SHORT_LIVED_WITHOUT_SDK = "import sys\n"


class Sink(Protocol):
    url: str

    def reset(self) -> None: ...
    def stats(self) -> dict[str, int]: ...


class ColdStartError(RuntimeError):
    """The measurement itself went wrong (the event did not arrive)."""


def _first_event(url: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_EVENT, url],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["delivered"] != 1:
        raise ColdStartError(f"the first event was not delivered: {result}")
    return result


def run_first_event(sink: Sink) -> float:
    """ms on the caller's thread: import, config, client, first build(), track()."""
    return float(_first_event(sink.url)["first_event_ms"])


def run_start(sink: Sink) -> float:
    """ms for start() to return in a fresh interpreter, right after the first event."""
    return float(_first_event(sink.url)["start_ms"])


def _process_ms(code: str, url: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, url], check=True, timeout=120)
    return (time.perf_counter() - start) * 1e3


def run_short_lived(sink: Sink) -> float:
    """ms a whole process spends more with the SDK (one event delivered at exit) than without."""
    sink.reset()
    extra = []
    for _ in range(SHORT_LIVED_RUNS):
        without = _process_ms(SHORT_LIVED_WITHOUT_SDK, sink.url)
        extra.append(_process_ms(SHORT_LIVED_WITH_SDK, sink.url) - without)
    received = sink.stats()["unique_event_ids"]
    if received != SHORT_LIVED_RUNS:
        raise ColdStartError(f"{SHORT_LIVED_RUNS} one-event processes, {received} events arrived")
    return statistics.median(extra)


# -- the profile: where the first event's time goes ----------------------------------------------

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
_GROUPS = (
    ("mosaicstack_telemetry._generated", "generated models and endpoints"),
    ("mosaicstack_telemetry", "the SDK's own modules"),
    ("pydantic_core", "pydantic-core"),
    ("pydantic", "pydantic"),
    ("httpx", "httpx"),
    ("httpcore", "httpcore"),
    ("anyio", "anyio"),
    ("typing_extensions", "typing_extensions"),
)


def _group(module: str) -> str:
    for prefix, name in _GROUPS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return module.split(".")[0]


def profile(url: str) -> None:
    """Print the first event's steps and its import time by package (`-X importtime`)."""
    runs = [_first_event(url) for _ in range(5)]
    print("Cold start, median of 5 fresh interpreters (ms on the caller's thread):")
    for index, (name, _) in enumerate(runs[0]["steps"]):
        value = statistics.median(run["steps"][index][1] for run in runs)
        print(f"  {name:<20} {value:8.1f}")
    loaded = "yes" if any(run["httpx_before_start"] for run in runs) else "no"
    print(f"  httpx imported before start(): {loaded}")
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", FIRST_EVENT, url],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    self_us: dict[str, int] = defaultdict(int)
    for line in out.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            self_us[_group(match.group(4))] += int(match.group(1))
    total = sum(self_us.values())
    print(f"Imports during the first event and start()/stop(): {total / 1e3:.1f} ms in all")
    ranked = sorted(self_us.items(), key=lambda item: -item[1])
    for name, micros in ranked[:12]:
        print(f"  {name:<32} {micros / 1e3:8.1f} ms")
    rest = sum(micros for _, micros in ranked[12:])
    print(f"  {f'{len(ranked) - 12} more packages':<32} {rest / 1e3:8.1f} ms")
