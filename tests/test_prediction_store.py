"""PredictionStore (a real SQLite file), the persistence settings and Estimate: units."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mosaicstack_telemetry import Estimate, TelemetryClient, TelemetryConfig
from mosaicstack_telemetry._cache import CachedPrediction, PredictionCache
from mosaicstack_telemetry._estimate import estimate_from
from mosaicstack_telemetry._generated.models import PredictionResponse
from mosaicstack_telemetry._prediction_store import PredictionStore, default_cache_dir, store_path
from tests.factories import API_KEY, INSTANCE_ID

KEY = ("implementation", "gpt-4o", "openai", "medium")


def _key(i: int) -> tuple[str, str, str, str]:
    return ("implementation", f"model-{i}", "openai", "medium")


def _response(median: int | None = 1000) -> PredictionResponse:
    data = None
    if median is not None:
        dist = {"p10": 1, "p25": 2, "median": median, "p75": 4, "p90": 5}
        data = {
            "input_tokens": dist,
            "output_tokens": {**dist, "median": median // 2},
            "cost_usd_micros": {"median": 630000},
            "duration_ms": {"median": 45000},
            "correction_factors": {"input": 1.0, "output": 1.0},
            "quality": {"gate_pass_rate": 1.0, "success_rate": 0.9},
        }
    return PredictionResponse.model_validate(
        {
            "prediction": data,
            "metadata": {
                "sample_size": 0 if data is None else 120,
                "fallback_level": -1 if data is None else 1,
                "confidence": "none" if data is None else "medium",
                "last_updated": None,
                "dimensions_matched": None,
                "fallback_note": None,
                "cache_hit": False,
            },
        }
    )


def test_rows_survive_reopening_and_the_file_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    store = PredictionStore(path, max_entries=10)
    for i in range(25):
        store.save([(_key(i), f'{{"n": {i}}}')], fetched_at=1000.0 + i, keep=3600.0)
    store.close()
    rows = PredictionStore(path).read_all()
    assert sorted(rows) == sorted(_key(i) for i in range(15, 25))  # the 10 newest
    assert rows[_key(24)].response == '{"n": 24}'
    assert rows[_key(24)].fetched_at == 1024.0


def test_rows_too_old_to_serve_are_pruned(tmp_path: Path) -> None:
    store = PredictionStore(tmp_path / "p.sqlite3")
    store.save([(_key(1), "{}")], fetched_at=1000.0, keep=100.0)
    store.save([(_key(2), "{}")], fetched_at=1101.0, keep=100.0)
    assert set(store.read_all()) == {_key(2)}


def test_claims_give_each_query_to_one_process_per_ttl(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    one, two = PredictionStore(path), PredictionStore(path)  # as two processes would
    first = one.claim([_key(1), _key(2)], now=1000.0, ttl=60.0, hold=30.0)
    assert first.granted == [_key(1), _key(2)]
    second = two.claim([_key(1), _key(2)], now=1001.0, ttl=60.0, hold=30.0)
    assert second.granted == []
    assert second.later == {_key(1): 1030.0, _key(2): 1030.0}

    one.save([(_key(1), "{}")], fetched_at=1002.0, keep=3600.0)
    one.failed([_key(2)], retry_at=1010.0)
    assert two.failures([_key(2)]) == 1
    assert two.claim([_key(1), _key(2)], now=1005.0, ttl=60.0, hold=30.0).granted == []
    # Backoff over: _key(2) may be tried again; _key(1) only once its TTL has passed.
    assert two.claim([_key(1), _key(2)], now=1011.0, ttl=60.0, hold=30.0).granted == [_key(2)]
    assert two.claim([_key(1)], now=1062.0, ttl=60.0, hold=30.0).granted == [_key(1)]
    # A released claim (stopped before fetching) is free at once.
    two.release([_key(1)])
    assert one.claim([_key(1)], now=1063.0, ttl=60.0, hold=30.0).granted == [_key(1)]


def test_a_corrupt_file_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "p.sqlite3"
    path.write_bytes(b"\x00garbage" * 512)
    store = PredictionStore(path)
    assert store.read(KEY) is None
    assert "is corrupt" in caplog.text
    assert (tmp_path / "p.sqlite3.corrupt").exists()
    store.save([(KEY, "{}")], fetched_at=1.0, keep=10.0)
    assert store.read(KEY) is not None


def test_an_unusable_directory_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    store = PredictionStore(blocker / "p.sqlite3")
    for _ in range(3):
        store.save([(KEY, "{}")], fetched_at=1.0, keep=10.0)
    assert store.read(KEY) is None
    assert store.claim([KEY], now=1.0, ttl=1.0, hold=1.0).granted == [KEY]  # fetch anyway
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len([r for r in warnings if "unavailable" in r.getMessage()]) == 1


def test_a_cache_with_a_store_reads_what_another_cache_saved(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    now = [5000.0]
    writer = PredictionCache(60.0, lambda: now[0], store=PredictionStore(path))
    reader = PredictionCache(
        60.0, lambda: now[0], max_stale_seconds=100.0, store=PredictionStore(path)
    )
    assert reader.lookup(KEY) is None
    writer.put_many([(KEY, _response())])
    now[0] += 2.0  # the reader looks at the file again after a second
    found = reader.lookup(KEY)
    assert found is not None
    assert found.response == _response()
    assert found.age_seconds == 2.0
    now[0] += 60.0
    stale = reader.lookup(KEY)
    assert stale is not None
    assert stale.stale
    now[0] += 100.0
    assert reader.lookup(KEY) is None  # past max_stale_seconds


def test_store_files_are_per_server_and_instance_and_never_name_the_key(tmp_path: Path) -> None:
    a = store_path(tmp_path, "http://a", INSTANCE_ID)
    assert a == store_path(tmp_path, "http://a", INSTANCE_ID)
    assert a != store_path(tmp_path, "http://b", INSTANCE_ID)
    assert a != store_path(tmp_path, "http://a", "00000000-0000-4000-8000-000000000000")
    assert a.parent == tmp_path


def test_default_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "mosaicstack-telemetry"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the spec says
    assert default_cache_dir() == Path.home() / ".cache" / "mosaicstack-telemetry"


# -- settings ----------------------------------------------------------------------------------


def test_persistence_is_off_by_default_and_opted_into_three_ways(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert not TelemetryConfig().persists_predictions
    assert TelemetryConfig().prediction_max_stale_seconds == 7 * 86400
    assert TelemetryConfig(persist_predictions=True).persists_predictions
    assert TelemetryConfig(prediction_cache_dir=tmp_path).persists_predictions  # type: ignore[arg-type]
    assert TelemetryConfig(prediction_cache_dir=tmp_path).prediction_cache_dir == str(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("MOSAIC_TELEMETRY_CACHE_DIR", str(tmp_path))
    config = TelemetryConfig()
    assert config.persists_predictions
    assert config.prediction_cache_dir == str(tmp_path)
    assert TelemetryConfig(prediction_cache_dir="/elsewhere").prediction_cache_dir == "/elsewhere"


def test_max_stale_must_be_zero_or_positive() -> None:
    for bad in (-1.0, float("nan"), float("inf")):
        problems = TelemetryConfig(prediction_max_stale_seconds=bad).validate()
        assert any("prediction_max_stale_seconds" in p for p in problems)
    problems = TelemetryConfig(prediction_max_stale_seconds=0.0).validate()
    assert not any("prediction_max_stale_seconds" in p for p in problems)


def test_persisted_files_go_to_the_per_user_directory_by_default(tmp_path: Path) -> None:
    # conftest points XDG_CACHE_HOME at a temporary directory.
    config = TelemetryConfig(
        server_url="http://127.0.0.1:9",
        api_key=API_KEY,
        instance_id=INSTANCE_ID,
        persist_predictions=True,
    )
    client = TelemetryClient(config)
    client._cache.put_many([(KEY, _response())])
    path = store_path(default_cache_dir(), config.server_url, INSTANCE_ID)
    assert path.exists()
    assert API_KEY not in str(path)


# -- Estimate ----------------------------------------------------------------------------------


def test_estimate_carries_the_medians_and_how_sure_and_old_they_are() -> None:
    estimate = estimate_from(CachedPrediction(_response(1000), 12.5, False))
    assert estimate == Estimate(
        input_tokens=1000,
        output_tokens=500,
        cost_usd_micros=630000,
        duration_ms=45000,
        confidence="medium",
        fallback_level=1,
        sample_size=120,
        cached=True,
        stale=False,
        age_seconds=12.5,
        response=_response(1000),
    )
    assert estimate.available


def test_estimate_of_no_data_and_of_a_miss() -> None:
    no_data = estimate_from(CachedPrediction(_response(None), 1.0, True))
    assert no_data.cached
    assert no_data.stale
    assert not no_data.available
    assert no_data.input_tokens is None
    assert (no_data.confidence, no_data.fallback_level) == ("none", -1)
    miss = estimate_from(None)
    assert not miss.cached
    assert miss.age_seconds is None


def test_estimate_never_raises_on_bad_dimensions(caplog: pytest.LogCaptureFixture) -> None:
    client = TelemetryClient(
        TelemetryConfig(server_url="http://127.0.0.1:9", api_key=API_KEY, instance_id=INSTANCE_ID)
    )
    try:
        bad = client.estimate(
            task_type="painting", model="m", provider="openai", complexity="medium"
        )
        assert not bad.cached
        assert "cannot ask the server" in caplog.text
        long = client.estimate(
            task_type="testing", model="m" * 500, provider="openai", complexity="low"
        )
        assert not long.cached
    finally:
        client.stop()


def test_disabled_client_estimates_nothing_and_starts_nothing(tmp_path: Path) -> None:
    config = TelemetryConfig(
        server_url="http://127.0.0.1:9",
        api_key=API_KEY,
        instance_id=INSTANCE_ID,
        enabled=False,
        prediction_cache_dir=str(tmp_path),
    )
    client = TelemetryClient(config)
    assert not client.estimate(
        task_type="testing", model="m", provider="openai", complexity="low"
    ).cached
    client.watch_predictions([])
    assert client._refresh_driver is None
    assert list(tmp_path.iterdir()) == []


def test_stored_json_reads_back_equal_without_validation() -> None:
    from mosaicstack_telemetry._prediction_rows import response_from_json

    wire = _response(1000).model_dump(mode="json")
    wire["metadata"].update(
        last_updated="2026-11-22T02:50:00Z",
        dimensions_matched={"task_type": "implementation", "model": None},
        fallback_note="model dropped",
    )
    full = PredictionResponse.model_validate(wire)
    for response in (full, _response(None)):
        assert response_from_json(response.model_dump_json()) == response
    for bad in ('{"prediction": null}', '{"prediction": 1, "metadata": {}}', "[]"):
        with pytest.raises(ValueError, match="not a stored prediction"):
            response_from_json(bad)
    broken = full.model_dump_json().replace('"median":1000', '"median":"1000"')
    with pytest.raises(ValueError, match="expected an integer"):
        response_from_json(broken)


def test_without_sqlite3_predictions_stay_in_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sqlite3", None)  # as in a Python built without it
    config = TelemetryConfig(
        server_url="http://127.0.0.1:9",
        api_key=API_KEY,
        instance_id=INSTANCE_ID,
        prediction_cache_dir=str(tmp_path),
    )
    client = TelemetryClient(config)
    assert "Predictions cannot be persisted" in caplog.text
    client._cache.put_many([(KEY, _response())])
    assert (
        client.estimate(
            task_type=KEY[0], model=KEY[1], provider=KEY[2], complexity=KEY[3]
        ).input_tokens
        == 1000
    )
    assert list(tmp_path.iterdir()) == []


def test_estimate_is_importable_but_not_in_the_reference_list() -> None:
    import mosaicstack_telemetry
    from mosaicstack_telemetry._estimate import Estimate as Defined

    assert mosaicstack_telemetry.Estimate is Defined
    assert "Estimate" not in mosaicstack_telemetry.__all__


def test_a_file_without_the_table_yet_reads_as_empty_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    path = tmp_path / "p.sqlite3"
    sqlite3.connect(path).close()  # created by another process a moment ago, no table yet
    store = PredictionStore(path)
    assert store.read(KEY) is None
    assert caplog.records == []
    store.save([(KEY, "{}")], fetched_at=1.0, keep=10.0)
    assert store.read(KEY) is not None
