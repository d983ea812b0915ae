"""Prediction figures for `make bench` (benchmarks/run.py adds them to its table).

P1-P3 time reads from memory on a client with persisted predictions; P3 reads a stale entry while
its background refresh hangs at a server that accepts connections and never answers. P4-P5 time
the first read of a fresh interpreter, which loads the entry from the SQLite file an earlier
process wrote; P6 is what turning persistence on adds to `TelemetryClient()` (loading sqlite3).
"""

from __future__ import annotations

import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mosaicstack_telemetry import (
    PredictionQuery,
    PredictionResponse,
    TelemetryClient,
    TelemetryConfig,
)
from mosaicstack_telemetry._cache import cache_key

# The refresh that hangs fails when the benchmark closes its socket: not worth a line on stderr.
logging.getLogger("mosaicstack_telemetry").addHandler(logging.NullHandler())

INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
API_KEY = "0123456789abcdef" * 4
BLOCKS = 50
BLOCK = 2_000
DIMENSIONS = {
    "task_type": "implementation",
    "model": "claude-sonnet-4-5-20250929",
    "provider": "anthropic",
    "complexity": "medium",
}

RESPONSE = PredictionResponse.model_validate(
    {
        "prediction": {
            "input_tokens": {"p10": 1, "p25": 2, "median": 107611, "p75": 4, "p90": 5},
            "output_tokens": {"p10": 1, "p25": 2, "median": 41553, "p75": 4, "p90": 5},
            "cost_usd_micros": {"median": 902304},
            "duration_ms": {"median": 213929},
            "correction_factors": {"input": 1.0362, "output": 0.8949},
            "quality": {"gate_pass_rate": 1.0, "success_rate": 0.8},
        },
        "metadata": {
            "sample_size": 240,
            "fallback_level": 0,
            "confidence": "high",
            "last_updated": "2026-11-22T02:50:00Z",
            "dimensions_matched": dict(DIMENSIONS),
            "fallback_note": None,
            "cache_hit": False,
        },
    }
)


@contextmanager
def hanging_server() -> Iterator[str]:
    """A 127.0.0.1 port that accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _config(url: str, cache_dir: str, **overrides: Any) -> TelemetryConfig:
    return TelemetryConfig(
        server_url=url,
        api_key=API_KEY,
        instance_id=INSTANCE_ID,
        prediction_cache_dir=cache_dir,
        request_timeout_seconds=600.0,  # the refresh stays stuck for the whole measurement
        **overrides,
    )


def _per_call(call: Callable[[], object]) -> float:
    blocks = []
    for _ in range(BLOCKS):
        start = time.perf_counter()
        for _ in range(BLOCK):
            call()
        blocks.append(time.perf_counter() - start)
    return statistics.median(blocks) / BLOCK * 1e6


def _timed_reads(stale: bool, read: Callable[[TelemetryClient], Callable[[], object]]) -> float:
    with hanging_server() as url, tempfile.TemporaryDirectory() as cache_dir:
        ttl = 0.05 if stale else 3600.0
        client = TelemetryClient(_config(url, cache_dir, prediction_cache_ttl_seconds=ttl))
        client._cache.put_many([(cache_key(PredictionQuery(**DIMENSIONS)), RESPONSE)])
        if stale:
            time.sleep(0.1)
        call = read(client)
        call()  # a stale read schedules the refresh that then hangs
        if stale:
            found = client._cache.lookup(cache_key(PredictionQuery(**DIMENSIONS)))
            if found is None or not found.stale:
                raise RuntimeError("the entry should be stale")
        try:
            return _per_call(call)
        finally:
            driver = client._refresh_driver
            if driver is not None:
                driver.stop(timeout=0.0)  # ends once the server's socket closes under it


def _get_prediction(client: TelemetryClient) -> Callable[[], object]:
    query = PredictionQuery(**DIMENSIONS)
    return lambda: client.get_prediction(query)


def _estimate(client: TelemetryClient) -> Callable[[], object]:
    return lambda: client.estimate(**DIMENSIONS)


def run_get_prediction(_sink: object) -> float:
    """us per get_prediction() of a fresh entry held in memory."""
    return _timed_reads(False, _get_prediction)


def run_estimate(_sink: object) -> float:
    """us per estimate() of a fresh entry held in memory."""
    return _timed_reads(False, _estimate)


def run_estimate_hanging(_sink: object) -> float:
    """us per estimate() of a stale entry while its refresh hangs at the server."""
    return _timed_reads(True, _estimate)


COLD = """
import sys, time
import mosaicstack_telemetry as mt
config = mt.TelemetryConfig(
    server_url=sys.argv[1], api_key="{key}", instance_id="{instance}",
    prediction_cache_dir=sys.argv[2],
)
query = mt.PredictionQuery(**{dims!r})
mt.TelemetryClient  # loaded before the clock starts: figure 5b covers loading the SDK
start = time.perf_counter()
client = mt.TelemetryClient(config)
built = time.perf_counter()
if sys.argv[3] == "estimate":
    found = client.estimate(**{dims!r}).input_tokens
else:
    found = client.get_prediction(query).prediction.input_tokens.median
done = time.perf_counter()
assert found == 107611, found
print((built - start) * 1e3, (done - built) * 1e3)
"""


def _cold(what: str) -> tuple[float, float]:
    """(ms for TelemetryClient(), ms for the first read) in a fresh interpreter."""
    with hanging_server() as url, tempfile.TemporaryDirectory() as cache_dir:
        writer = TelemetryClient(_config(url, cache_dir))
        writer._cache.put_many([(cache_key(PredictionQuery(**DIMENSIONS)), RESPONSE)])
        code = COLD.format(key=API_KEY, instance=INSTANCE_ID, dims=DIMENSIONS)
        out = subprocess.run(
            [sys.executable, "-c", code, url, cache_dir, what],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        client_ms, read_ms = map(float, out.stdout.split())
        if not Path(cache_dir).exists():
            raise RuntimeError("cache directory vanished")
        return client_ms, read_ms


def run_cold_get_prediction(_sink: object) -> float:
    """ms for a fresh interpreter's first get_prediction(), read from the file."""
    return _cold("get_prediction")[1]


def run_cold_estimate(_sink: object) -> float:
    """ms for a fresh interpreter's first estimate(), read from the file."""
    return _cold("estimate")[1]


def run_cold_client(_sink: object) -> float:
    """ms for TelemetryClient() with persisted predictions in a fresh interpreter."""
    return _cold("estimate")[0]


def prediction_figures(figure: Callable[..., Any]) -> list[Any]:
    """run.py's Figure rows for predictions (Figure is passed in: run.py is a script)."""
    return [
        figure(
            "P1 get_prediction(), fresh, from memory", "us", run_get_prediction, 5.0, False, "-"
        ),
        figure("P2 estimate(), fresh, from memory", "us", run_estimate, 5.0, False, "-"),
        figure(
            "P3 estimate(), stale, refresh hanging", "us", run_estimate_hanging, 5.0, False, "-"
        ),
        figure(
            "P4 first get_prediction() of a process, disk",
            "ms",
            run_cold_get_prediction,
            1.0,
            False,
            "-",
            "{:.3f}",
        ),
        figure(
            "P5 first estimate() of a process, disk",
            "ms",
            run_cold_estimate,
            1.0,
            False,
            "-",
            "{:.3f}",
        ),
        figure(
            "P6 TelemetryClient() with persistence on",
            "ms",
            run_cold_client,
            None,
            False,
            "-",
            "{:.2f}",
        ),
    ]
