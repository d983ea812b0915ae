"""The TypeScript client's figures for `make bench`, beside the Python ones (docs/performance.md).

Each run is one `node benchmarks/ts_bench.mjs FIGURE SINK_URL` against ts/dist (`make ts-build`),
sending to the same benchmarks/sink.py as the Python figures; a delivery figure counts only if
the sink received, parsed and saw as distinct exactly the events tracked, each with every field
of the schema, and the client counted them delivered with nothing left queued and no error.
run.py passes in its Figure and BenchError, so these figures are reported exactly like its own.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "ts_bench.mjs"
DIST = HERE.parent / "ts" / "dist" / "index.js"
TIMEOUT = 300  # seconds per run: a safety net, not a budget


class _Sink(Protocol):
    url: str

    def reset(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


def ts_figures(figure: Callable[..., Any], bench_error: type[Exception]) -> list[Any]:
    """The TypeScript figures, as run.py's Figure objects: track(), throughput, stop()."""
    # ts3c (information, no budget) is the client's own CPU time per batch during ts3: the
    # wall-clock figures depend on how busy the machine is, this one much less.

    def node(name: str, sink: _Sink) -> dict[str, Any]:
        if not DIST.is_file():
            raise bench_error("ts/dist is not built: run `make ts-build` (`make bench` does)")
        try:
            done = subprocess.run(
                ["node", str(SCRIPT), name, sink.url],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise bench_error("node is not installed (Node.js >= 18 is needed)") from None
        if done.returncode != 0:
            raise bench_error(f"ts_bench.mjs {name} failed: {done.stderr.strip()[-400:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def run_track(sink: _Sink) -> float:
        return float(node("track", sink)["value"])

    def delivered(name: str, key: str = "value") -> Callable[[_Sink], float]:
        def run(sink: _Sink) -> float:
            sink.reset()
            result = node(name, sink)
            stats = sink.stats()
            tracked = result["tracked"]
            counts = (stats["acknowledged"], stats["events"], stats["unique_event_ids"])
            if set(counts) != {tracked} or result["delivered"] != tracked:
                raise bench_error(
                    f"tracked {tracked}, client says delivered {result['delivered']}, "
                    f"sink got {stats}"
                )
            if stats["malformed"] or result["queued"] or result["errors"]:
                raise bench_error(
                    f"malformed {stats['malformed']}, still queued {result['queued']}, "
                    f"errors {result['errors'][:3]}"
                )
            return float(result[key])

        return run

    return [
        figure(
            "ts1 TS track(), per call, started idle client",
            "us",
            run_track,
            1.0,
            False,
            "-",
            "{:,.3f}",
        ),
        figure(
            "ts3 TS delivered end to end, batches of 100",
            "events/s",
            delivered("throughput"),
            50_000,
            True,
            "-",
            "{:,.0f}",
        ),
        figure(
            "ts3c TS client CPU per batch of 100 in ts3",
            "ms",
            delivered("throughput", "cpuMsPerBatch"),
            None,
            False,
            "-",
            "{:.2f}",
        ),
        figure(
            "ts4 TS start()+stop() with 10,000 queued",
            "s",
            delivered("stop"),
            0.3,
            False,
            "-",
            "{:.3f}",
        ),
    ]
