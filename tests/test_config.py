"""TelemetryConfig: defaults, environment precedence, validate() messages, secrecy of the key."""

from __future__ import annotations

import logging

import pytest

from mosaicstack_telemetry import TelemetryClient, TelemetryConfig, __version__
from tests.factories import API_KEY, INSTANCE_ID

ENV_VARS = (
    "MOSAIC_TELEMETRY_ENABLED",
    "MOSAIC_TELEMETRY_SERVER_URL",
    "MOSAIC_TELEMETRY_API_KEY",
    "MOSAIC_TELEMETRY_INSTANCE_ID",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _valid(**overrides: object) -> TelemetryConfig:
    values: dict[str, object] = {
        "server_url": "https://tel-api.mosaicstack.dev",
        "api_key": API_KEY,
        "instance_id": INSTANCE_ID,
    }
    values.update(overrides)
    return TelemetryConfig(**values)  # type: ignore[arg-type]


def test_defaults_match_the_reference() -> None:
    config = TelemetryConfig()
    assert config.server_url == ""
    assert config.api_key == ""
    assert config.instance_id == ""
    assert config.enabled is True
    assert config.submit_interval_seconds == 300.0
    assert config.max_queue_size == 1000
    assert config.batch_size == 100
    assert config.request_timeout_seconds == 10.0
    assert config.prediction_cache_ttl_seconds == 21600.0
    assert config.dry_run is False
    assert config.max_retries == 3
    assert config.user_agent == f"mosaicstack-telemetry-python/{__version__}"
    assert __version__ == "0.1.0"
    # Additions to the reference (docs/lifecycle.md).
    assert config.shutdown_timeout_seconds == 10.0
    assert config.flush_on_sigterm is True
    assert config.max_event_age_seconds is None
    assert config.spool_dir is None
    assert config.spool_max_bytes == 10 * 1024 * 1024


def test_env_fills_empty_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", "https://env.example/")
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", "b" * 64)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", INSTANCE_ID)
    config = TelemetryConfig()
    assert config.server_url == "https://env.example"
    assert config.api_key == "b" * 64
    assert config.instance_id == INSTANCE_ID
    assert config.validate() == []


@pytest.mark.parametrize(
    ("env", "field", "constructor"),
    [
        ("MOSAIC_TELEMETRY_SERVER_URL", "server_url", "https://ctor.example"),
        ("MOSAIC_TELEMETRY_API_KEY", "api_key", "c" * 64),
        ("MOSAIC_TELEMETRY_INSTANCE_ID", "instance_id", "87654321-4321-4321-4321-cba987654321"),
    ],
)
def test_constructor_beats_env(
    monkeypatch: pytest.MonkeyPatch, env: str, field: str, constructor: str
) -> None:
    monkeypatch.setenv(env, "from-env")
    assert getattr(TelemetryConfig(**{field: constructor}), field) == constructor
    assert getattr(TelemetryConfig(), field) == "from-env"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", " yes ", "on", "ON", "On"])
def test_enabled_env_truthy_always_overrides(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", value)
    assert TelemetryConfig(enabled=False).enabled is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "No", "off", " OFF "])
def test_enabled_env_falsy_always_overrides(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", value)
    assert TelemetryConfig(enabled=True).enabled is False


@pytest.mark.parametrize("value", ["enabled", "y", "nope", "tru", "2"])
def test_unrecognised_enabled_env_warns_naming_it_and_keeps_the_code_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", value)
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        assert TelemetryConfig().enabled is True
        assert TelemetryConfig(enabled=False).enabled is False
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all(f"MOSAIC_TELEMETRY_ENABLED='{value}'" in w for w in warnings)
    assert "on/off" in warnings[0]
    assert "stays enabled" in warnings[0]
    assert "disabled" in warnings[1]


@pytest.mark.parametrize("value", ["1", "true", " TRUE "])
def test_do_not_track_disables_with_a_debug_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", value)
    with caplog.at_level(logging.DEBUG, logger="mosaicstack_telemetry"):
        assert TelemetryConfig().enabled is False
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "DO_NOT_TRACK" in caplog.records[0].getMessage()


@pytest.mark.parametrize("value", ["0", "false", "", "whatever"])
def test_do_not_track_other_values_change_nothing(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", value)
    assert TelemetryConfig().enabled is True
    assert TelemetryConfig(enabled=False).enabled is False


def test_an_explicit_enabled_env_wins_over_do_not_track(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "on")
    assert TelemetryConfig().enabled is True
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "maybe")  # ignored: DO_NOT_TRACK decides
    assert TelemetryConfig().enabled is False


def test_empty_enabled_env_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_ENABLED", "")
    assert TelemetryConfig(enabled=False).enabled is False
    assert TelemetryConfig().enabled is True


def test_trailing_slashes_are_stripped() -> None:
    assert _valid(server_url="http://localhost:8000///").server_url == "http://localhost:8000"


def test_valid_config_has_no_problems() -> None:
    assert _valid().validate() == []
    assert _valid(shutdown_timeout_seconds=0, max_event_age_seconds=60).validate() == []
    assert _valid(batch_size=1).validate() == []
    assert _valid(batch_size=100).validate() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server_url": ""}, "server_url is required (set it or MOSAIC_TELEMETRY_SERVER_URL)"),
        (
            {"server_url": "ftp://x"},
            "server_url must start with http:// or https://, got 'ftp://x'",
        ),
        (
            {"api_key": "abc"},
            "api_key must be a 64-character hex string (got 3 characters (hex 3); "
            "set it or MOSAIC_TELEMETRY_API_KEY)",
        ),
        (
            {"api_key": "g" * 64},
            "api_key must be a 64-character hex string (got 64 characters "
            "(other letters/digits 64); "
            "set it or MOSAIC_TELEMETRY_API_KEY)",
        ),
        (
            {"instance_id": "nope"},
            "instance_id must be a valid UUID, got 'nope' (set it or MOSAIC_TELEMETRY_INSTANCE_ID)",
        ),
        (
            {"submit_interval_seconds": 0},
            "submit_interval_seconds must be between 0.01 and 86,400 seconds, got 0",
        ),
        ({"max_queue_size": 0}, "max_queue_size must be between 1 and 1,000,000 events, got 0"),
        ({"batch_size": 0}, "batch_size must be between 1 and 100 events, got 0"),
        ({"batch_size": 101}, "batch_size must be between 1 and 100 events, got 101"),
        (
            {"request_timeout_seconds": -1.0},
            "request_timeout_seconds must be between 0.1 and 600 seconds, got -1.0",
        ),
        (
            {"shutdown_timeout_seconds": -1.0},
            "shutdown_timeout_seconds must be between 0 and 3,600 seconds, got -1.0",
        ),
        (
            {"max_event_age_seconds": 0},
            "max_event_age_seconds must be between 1 and 31,536,000 seconds (or None), got 0",
        ),
        (
            {"spool_max_bytes": 0},
            "spool_max_bytes must be between 1,024 and 10,737,418,240 bytes, got 0",
        ),
    ],
)
def test_each_problem_has_one_clear_message(overrides: dict[str, object], message: str) -> None:
    assert _valid(**overrides).validate() == [message]


def test_all_problems_reported_at_once() -> None:
    problems = TelemetryConfig(batch_size=0, max_queue_size=-1).validate()
    assert len(problems) == 5
    assert [p.split(" ")[0] for p in problems] == [
        "server_url",
        "api_key",
        "instance_id",
        "max_queue_size",
        "batch_size",
    ]


def test_api_key_never_in_repr_or_messages() -> None:
    secret = "d" * 63 + "z"  # invalid, so it appears in a validate() message if echoed
    config = _valid(api_key=secret)
    assert secret not in repr(config)
    assert "api_key='<redacted>'" in repr(config)
    assert all(secret not in message for message in config.validate())
    assert "d" * 20 not in str(config)


def test_client_logs_problems_but_is_created(caplog: pytest.LogCaptureFixture) -> None:
    secret = "e" * 10
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        client = TelemetryClient(TelemetryConfig(api_key=secret))
    assert client.queue_size == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any("server_url is required" in m for m in messages)
    assert any("api_key must be" in m for m in messages)
    assert all(secret not in m for m in messages)
    assert secret not in repr(client)


def test_disabled_client_logs_no_config_problems(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mosaicstack_telemetry"):
        TelemetryClient(TelemetryConfig(enabled=False))
    assert caplog.records == []
