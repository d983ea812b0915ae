"""`mosaic-telemetry predict` reads the persisted prediction cache first and says how old it is."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mosaicstack_telemetry._cli import main
from mosaicstack_telemetry._prediction_store import PredictionStore, store_path
from tests.counting_proxy import CountingProxy
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.local_server import LocalServer

KEY = ("implementation", "claude-sonnet-4-5-20250929", "anthropic", "medium")
PREDICT = [
    "predict",
    "--task-type",
    KEY[0],
    "--model",
    KEY[1],
    "--provider",
    KEY[2],
    "--complexity",
    KEY[3],
]


@pytest.fixture
def proxy(local_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    for name in list(os.environ):
        if name.startswith("MOSAIC_TELEMETRY_"):
            monkeypatch.delenv(name)
    local_server.submit([event_payload() for _ in range(12)])
    with CountingProxy(local_server.url) as running:
        monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", running.url)
        monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
        monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", INSTANCE_ID)
        yield running


def test_a_fresh_cached_answer_is_shown_without_asking_the_server(
    proxy: CountingProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*PREDICT, "--cache-dir", str(tmp_path)]
    assert main(argv) == 0
    assert "answered              just now, by the server" in capsys.readouterr().out
    assert proxy.prediction_queries()[KEY] == 1

    proxy.down()
    time.sleep(1.0)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "input tokens" in out
    assert "112,340" in out
    assert "s ago (from the cache)" in out
    assert "stale" not in out
    assert proxy.prediction_queries()[KEY] == 1

    proxy.up()
    assert main([*argv, "--refresh"]) == 0
    assert "just now, by the server" in capsys.readouterr().out
    assert proxy.prediction_queries()[KEY] == 2


def test_the_per_user_cache_is_the_default_and_shared_with_the_sdk(
    proxy: CountingProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(PREDICT) == 0
    capsys.readouterr()
    # conftest points XDG_CACHE_HOME at a temporary directory.
    cache_home = Path(os.environ["XDG_CACHE_HOME"]) / "mosaicstack-telemetry"
    assert store_path(cache_home, proxy.url, INSTANCE_ID).exists()


def test_a_stale_answer_is_shown_when_the_server_is_down(
    proxy: CountingProxy,
    local_server: LocalServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (answer,) = local_server.predict(query_payload())
    store = PredictionStore(store_path(tmp_path, proxy.url, INSTANCE_ID))
    from mosaicstack_telemetry import PredictionResponse

    response = PredictionResponse.model_validate(answer).model_dump_json()
    eight_hours_ago = time.time() - 8 * 3600
    store.save([(KEY, response)], eight_hours_ago, keep=30 * 86400)
    store.close()
    proxy.down()

    assert main([*PREDICT, "--cache-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "8 h ago (from the cache); stale: older than the cache TTL of 6 h" in captured.out
    assert "the server could not be reached" in captured.out
    assert "112,340" in captured.out

    assert main([*PREDICT, "--cache-dir", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert '"median": 112340' in captured.out
    assert "8 h ago (from the cache); stale" in captured.err


def test_cache_only_and_no_cache(
    proxy: CountingProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    assert main([*PREDICT, "--cache-dir", str(cache), "--cache-only"]) == 1
    assert "nothing cached for implementation" in capsys.readouterr().err
    assert proxy.prediction_requests() == []

    assert main([*PREDICT, "--cache-dir", str(cache), "--no-cache"]) == 0
    assert proxy.prediction_queries()[KEY] == 1
    assert not cache.exists()  # nothing written
