"""`make bench`: the speed and memory figures of issue 3, each next to its budget.

Every figure is the median of RUNS runs (default 5, `--runs N`); each line also shows the range
over the runs, the budget, what established SDKs take on this kind of machine, and PASS or MISS.
It is a report, not a test: it exits 0 whatever the figures (2 only if the benchmark itself
broke, e.g. the sink did not receive every event: that figure then says BROKEN).

The delivery figures send to benchmarks/sink.py, a minimal Telemetry API v1 server on 127.0.0.1
that runs in its own process, so its CPU time is not hidden in the client's figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import coldstart
from llm_figures import run_llm_task, run_stream_chunk  # benchmarks/llm_figures.py
from ts_figures import ts_figures

from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    TaskCompletionEvent,
    TaskType,
    TelemetryClient,
    TelemetryConfig,
)

HERE = Path(__file__).resolve().parent
INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
API_KEY = "0123456789abcdef" * 4

TRACK_BLOCKS = 200  # blocks of TRACK_BLOCK calls per run
TRACK_BLOCK = 1_000
BUILD_BLOCKS = 20
BUILD_BLOCK = 1_000
THROUGHPUT_EVENTS = 50_000
STOP_EVENTS = 10_000
MEMORY_EVENTS = 10_000


def guide_builder() -> EventBuilder:
    """A fully set builder, as in the integration guide's quick start."""
    return (
        EventBuilder(instance_id=INSTANCE_ID)
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
            gates_run=[
                QualityGate.BUILD,
                QualityGate.LINT,
                QualityGate.TEST,
                QualityGate.TYPECHECK,
            ],
        )
        .context(compactions=2, rotations=0, utilization=0.72)
        .language("typescript")
    )


class BenchError(RuntimeError):
    """The benchmark itself went wrong (not a slow figure): a count did not match."""


# -- the sink ---------------------------------------------------------------------------------


class Sink:
    """benchmarks/sink.py in a child process."""

    def __init__(self, *, parse_first: bool = False) -> None:
        fields = ",".join(TaskCompletionEvent.model_fields)
        extra = ["--parse-first"] if parse_first else []
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "sink.py"), fields, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        port = int(self._proc.stdout.readline())
        self.url = f"http://127.0.0.1:{port}"

    def _call(self, method: str, path: str) -> dict[str, int]:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, int] = json.loads(response.read())
            return result

    def reset(self) -> None:
        self._call("POST", "/reset")

    def stats(self) -> dict[str, int]:
        return self._call("GET", "/stats")

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)


def client(url: str, **overrides: object) -> TelemetryClient:
    options: dict[str, object] = {
        "server_url": url,
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
        "submit_interval_seconds": 3600.0,  # long: only the batch threshold and stop() flush
        "batch_size": 100,
    }
    options.update(overrides)
    return TelemetryClient(TelemetryConfig(**options))  # type: ignore[arg-type]


def check_delivered(sink: Sink, tracked: TelemetryClient, expected: int) -> None:
    stats = sink.stats()
    delivered = tracked.stats.delivered
    counts = (stats["acknowledged"], stats["events"], stats["unique_event_ids"], delivered)
    if set(counts) != {expected}:
        raise BenchError(f"tracked {expected}, client says delivered {delivered}, sink got {stats}")
    if stats["malformed"]:
        raise BenchError(f"malformed batches or events (a field missing, bad count): {stats}")


# -- the figures: one run each ------------------------------------------------------------------


def run_track(sink: Sink) -> float:
    """Median time of one track() call (us), from blocks of TRACK_BLOCK calls."""
    event = guide_builder().build()
    total = TRACK_BLOCKS * TRACK_BLOCK
    c = client(sink.url, max_queue_size=total + 1_000)
    # An idle worker: its early wake-up (once a batch is queued) is moved out of reach, so the
    # figure is track()'s own cost, not the GIL shared with a worker sending batches (figure 3
    # measures the whole pipeline).
    c._queue.threshold = total + 1_000
    c.start()
    track = c.track
    blocks = []
    try:
        for _ in range(TRACK_BLOCKS):
            start = time.perf_counter()
            for _ in range(TRACK_BLOCK):
                track(event)
            blocks.append(time.perf_counter() - start)
        if c.queue_size != total:
            raise BenchError(f"queue holds {c.queue_size} events, expected {total}")
    finally:
        c._queue.drain(c.queue_size)  # the same event object over and over: not worth sending
        c.stop()
    return statistics.median(blocks) / TRACK_BLOCK * 1e6


def run_build(_sink: Sink) -> float:
    """Median time of one EventBuilder.build() (us), from blocks of BUILD_BLOCK builds."""
    builder = guide_builder()
    build = builder.build
    blocks = []
    for _ in range(BUILD_BLOCKS):
        start = time.perf_counter()
        for _ in range(BUILD_BLOCK):
            build()
        blocks.append(time.perf_counter() - start)
    return statistics.median(blocks) / BUILD_BLOCK * 1e6


def run_fresh_builder(_sink: Sink) -> float:
    """Median time (us) of the guide's pattern: a new EventBuilder, every setter, build()."""
    blocks = []
    for _ in range(BUILD_BLOCKS):
        start = time.perf_counter()
        for _ in range(BUILD_BLOCK):
            guide_builder().build()
        blocks.append(time.perf_counter() - start)
    return statistics.median(blocks) / BUILD_BLOCK * 1e6


def run_throughput(sink: Sink) -> float:
    """Events/s from the first track() to stop() returning, all acknowledged by the sink."""
    builder = guide_builder()
    events = [builder.build() for _ in range(THROUGHPUT_EVENTS)]  # built before the clock starts
    sink.reset()
    c = client(sink.url, max_queue_size=THROUGHPUT_EVENTS)
    c.start()
    track = c.track
    start = time.perf_counter()
    for event in events:
        track(event)
    c.stop()
    elapsed = time.perf_counter() - start
    check_delivered(sink, c, THROUGHPUT_EVENTS)
    return THROUGHPUT_EVENTS / elapsed


def run_stop(sink: Sink) -> float:
    """Seconds stop() takes to deliver STOP_EVENTS events queued before start()."""
    builder = guide_builder()
    sink.reset()
    c = client(sink.url, max_queue_size=STOP_EVENTS)
    for _ in range(STOP_EVENTS):
        c.track(builder.build())
    # start() wakes the worker at once for a backlog like this one, so the figure is the time
    # from start() to stop() returning with everything delivered.
    start = time.perf_counter()
    c.start()
    c.stop()
    elapsed = time.perf_counter() - start
    check_delivered(sink, c, STOP_EVENTS)
    return elapsed


IMPORT_ONLY = """
import time
start = time.perf_counter()
import mosaicstack_telemetry
print(time.perf_counter() - start)
"""

IMPORT_AND_USE = f"""
import time
start = time.perf_counter()
import mosaicstack_telemetry as mt
config = mt.TelemetryConfig(
    server_url="http://127.0.0.1:9", api_key="0" * 64, instance_id="{INSTANCE_ID}"
)
client = mt.TelemetryClient(config)
event = mt.EventBuilder(instance_id=config.instance_id).model("m").build()
print(time.perf_counter() - start)
"""


def _fresh_interpreter(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120
    )
    return float(out.stdout.strip().splitlines()[-1]) * 1e3


def run_import(_sink: Sink) -> float:
    """ms for `import mosaicstack_telemetry`, timed inside a fresh interpreter."""
    return _fresh_interpreter(IMPORT_ONLY)


def run_import_and_use(_sink: Sink) -> float:
    """ms for import + TelemetryConfig + TelemetryClient + EventBuilder(...).build()."""
    return _fresh_interpreter(IMPORT_AND_USE)


def run_memory(sink: Sink) -> float:
    """Bytes traced by tracemalloc per event held by a client's queue (its only reference)."""
    builder = guide_builder()
    builder.build()  # warm up: first-call caches are not per-event memory
    c = client(sink.url, max_queue_size=MEMORY_EVENTS)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(MEMORY_EVENTS):
            c.track(builder.build())
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    if c.queue_size != MEMORY_EVENTS:
        raise BenchError(f"queue holds {c.queue_size} events, expected {MEMORY_EVENTS}")
    refs = sys.getrefcount(c._queue._items[0]) - 1  # minus getrefcount's own argument
    if refs != 1:
        raise BenchError(f"a queued event has {refs} references, expected only the queue's")
    return (after - before) / MEMORY_EVENTS


# -- the report ---------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    unit: str
    run: Callable[[Sink], float]
    budget: float | None  # None: reported for information, no budget of its own
    higher_is_better: bool
    others: str
    fmt: str = "{:,.2f}"
    parsing_sink: bool = False  # send to the sink that parses each body before answering

    def verdict(self, value: float) -> str:
        if self.budget is None:
            return "INFO"
        ok = value >= self.budget if self.higher_is_better else value <= self.budget
        return "PASS" if ok else "MISS"

    def budget_text(self) -> str:
        if self.budget is None:
            return "(none)"
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {self.fmt.format(self.budget)} {self.unit}"


FIGURES = [
    Figure("1 track(), per call, started idle client", "us", run_track, 1.0, False, "39-69 us"),
    Figure("2 EventBuilder.build(), full validation", "us", run_build, 10.0, False, "7-8 us"),
    Figure(
        "2b new builder + every setter + build()",
        "us",
        run_fresh_builder,
        10.0,
        False,
        "PostHog payload 4-5 us",
    ),
    Figure(
        "3 delivered end to end, batches of 100",
        "events/s",
        run_throughput,
        50_000,
        True,
        "5k-10k events/s",
        "{:,.0f}",
    ),
    Figure(
        "3b the same, sink parses JSON before answering",
        "events/s",
        run_throughput,
        None,
        True,
        "5k-10k events/s",
        "{:,.0f}",
        parsing_sink=True,
    ),
    Figure("4 start()+stop() with 10,000 queued", "s", run_stop, 0.3, False, "1.0-1.5 s", "{:.3f}"),
    Figure(
        "5 import mosaicstack_telemetry", "ms", run_import, 100.0, False, "109-195 ms", "{:.1f}"
    ),
    Figure(
        "5b import + first use (config, client, build)",
        "ms",
        run_import_and_use,
        None,
        False,
        "(their import loads all)",
        "{:.1f}",
    ),
    Figure(
        "5c first event: import..track(), caller thread",
        "ms",
        coldstart.run_first_event,
        100.0,
        False,
        "109-195 ms import",
        "{:.1f}",
    ),
    Figure("5d start() in a fresh process", "ms", coldstart.run_start, 5.0, False, "", "{:.2f}"),
    Figure(
        "5e one-event script, extra process time",
        "ms",
        coldstart.run_short_lived,
        150.0,
        False,
        "",
        "{:.0f}",
    ),
    Figure(
        "6 bytes per queued event (tracemalloc)",
        "B",
        run_memory,
        1_200,
        False,
        "1.8-3.9 KB",
        "{:,.0f}",
    ),
]

# Predictions (benchmarks/bench_predictions.py: P1-P6).
FIGURES += __import__("bench_predictions").prediction_figures(Figure)


# LLM instrumentation (mosaicstack_telemetry.llm): benchmarks/llm_figures.py.
FIGURES += [
    Figure("L1 llm stream wrapper, per chunk", "us", run_stream_chunk, 1.0, False, "n/a"),
    Figure("L2 llm_task enter+record+exit", "us", run_llm_task, 30.0, False, "n/a"),
]
FIGURES += ts_figures(Figure, BenchError)  # the TypeScript client (ts/), benchmarks/ts_bench.mjs


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


@contextmanager
def running_sinks() -> Iterator[tuple[Sink, Sink]]:
    fast = Sink()
    try:
        parsing = Sink(parse_first=True)
        try:
            yield fast, parsing
        finally:
            parsing.close()
    finally:
        fast.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--only", default="", help="comma-separated figure numbers, e.g. 1,3")
    args = parser.parse_args()
    runs = max(1, min(args.runs, 50))
    wanted = {part.strip() for part in args.only.split(",") if part.strip()}
    figures = [f for f in FIGURES if not wanted or f.label.split()[0] in wanted]
    # Fresh interpreters load the SDK from bytecode, as an installed wheel does (pip compiles it
    # at install time); with PYTHONDONTWRITEBYTECODE set, every run would compile the sources.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    print(
        f"mosaicstack-telemetry benchmark: median of {runs} runs per figure; "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        "3, 4: sent to benchmarks/sink.py on 127.0.0.1 (its own process), which answers 202 on\n"
        "receipt and checks every body after the run; 5: timed inside a fresh interpreter.\n"
        f"Load average at the start: {_load()}"
    )
    header = (
        f"{'figure':<46} {'median':>14} {'runs min-max':>21} {'budget':>16} {'others':>24}  verdict"
    )
    print(header)
    print("-" * len(header))
    verdicts: dict[str, str] = {}
    with running_sinks() as (fast_sink, parsing_sink):
        _fresh_interpreter(IMPORT_ONLY)  # warm-up: writes __pycache__, fills the OS page cache
        for figure in figures:
            sink = parsing_sink if figure.parsing_sink else fast_sink
            try:
                values = [figure.run(sink) for _ in range(runs)]
            except (BenchError, coldstart.ColdStartError) as exc:
                # Not a slow figure but a wrong one (e.g. events lost): say so, measure the rest.
                verdicts[figure.label] = "BROKEN"
                print(f"{figure.label:<46} BROKEN: {exc}", flush=True)
                continue
            value = statistics.median(values)
            verdict = figure.verdict(value)
            verdicts[figure.label] = verdict
            spread = f"{figure.fmt.format(min(values))}-{figure.fmt.format(max(values))}"
            print(
                f"{figure.label:<46} {figure.fmt.format(value) + ' ' + figure.unit:>14} "
                f"{spread:>21} {figure.budget_text():>16} {figure.others:>24}  {verdict}",
                flush=True,
            )
        if not wanted or "5c" in wanted:
            print()
            coldstart.profile(fast_sink.url)
    print(f"Load average at the end: {_load()} (other work on the machine inflates the figures)")
    judged = [v for v in verdicts.values() if v != "INFO"]
    summary = f"SUMMARY: {judged.count('PASS')}/{len(judged)} budgets met"
    for verdict in ("MISS", "BROKEN"):
        numbers = [label.split()[0] for label, v in verdicts.items() if v == verdict]
        if numbers:
            summary += f"; {verdict}: {', '.join(numbers)}"
    print(summary)
    # A report: slow figures do not fail it, only a benchmark that could not measure (exit 2).
    return 2 if "BROKEN" in verdicts.values() else 0


if __name__ == "__main__":
    sys.exit(main())
