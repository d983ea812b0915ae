"""Hostile configuration: no value crashes, spins or leaks; the key stays in its header.

Against real servers on 127.0.0.1 (the local server, the fault server), with every logger at
DEBUG (httpx and httpcore included) searched for the secret.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

from mosaicstack_telemetry import TelemetryClient, TelemetryConfig
from mosaicstack_telemetry._cli import main
from mosaicstack_telemetry._config import FIELD_RULES, field_problem
from mosaicstack_telemetry._models import TaskCompletionEvent
from tests.factories import API_KEY, INSTANCE_ID, event_payload
from tests.fault_server import FaultServer, Reply
from tests.local_server import LocalServer
from tests.secrets_log import all_logs

ENV_VARS = (
    "MOSAIC_TELEMETRY_ENABLED",
    "MOSAIC_TELEMETRY_SERVER_URL",
    "MOSAIC_TELEMETRY_API_KEY",
    "MOSAIC_TELEMETRY_INSTANCE_ID",
)
PASSWORD = "pw-s3cr3t-Zq9"
USER = "alice-user"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _event() -> TaskCompletionEvent:
    return TaskCompletionEvent(**event_payload())


def _with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{PASSWORD}@")


def _deliver(config: TelemetryConfig, events: int = 3) -> TelemetryClient:
    client = TelemetryClient(config)
    client.start()
    for _ in range(events):
        client.track(_event())
    client.stop()
    return client


# --- the API key -----------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["\n", " ", "\r\n", "\t ", " \n"])
def test_a_key_with_surrounding_whitespace_is_stripped_and_works(
    local_server: LocalServer, padding: str
) -> None:
    with all_logs() as logs:
        config = TelemetryConfig(
            server_url=local_server.url,
            api_key=padding + API_KEY + padding,
            instance_id=INSTANCE_ID,
            max_retries=0,
        )
        assert config.api_key == API_KEY
        assert config.validate() == []
        client = _deliver(config)
    assert client.stats.delivered == 3
    assert local_server.stats().events == 3
    logs.assert_free_of(API_KEY)


def test_a_non_ascii_key_is_a_configuration_error_never_sent(local_server: LocalServer) -> None:
    secret = "ключ" * 16
    with all_logs() as logs:
        config = TelemetryConfig(
            server_url=local_server.url, api_key=secret, instance_id=INSTANCE_ID, max_retries=0
        )
        problems = config.validate()
        client = _deliver(config)  # start() must not raise UnicodeEncodeError
    assert problems == [
        "api_key cannot be sent in an HTTP header (it has 64 characters (non-ASCII 64)); it "
        "must be a 64-character hex string (set it or MOSAIC_TELEMETRY_API_KEY)"
    ]
    # Sent without a key: the server answers 401 and the batch is dropped and counted.
    assert client.stats.dropped == 3
    assert local_server.stats().events == 0
    logs.assert_free_of(secret, "ключ")


@pytest.mark.parametrize("secret", ["a" * 63 + "\x00", "b" * 30 + "\n" + "c" * 33, "d" * 64 + "é"])
def test_a_key_unusable_in_a_header_shows_only_length_and_shape(
    fault_server: FaultServer, secret: str
) -> None:
    with all_logs() as logs:
        config = TelemetryConfig(
            server_url=fault_server.url, api_key=secret, instance_id=INSTANCE_ID, max_retries=0
        )
        [problem] = config.validate()
        client = _deliver(config, events=1)
    assert problem.startswith("api_key cannot be sent in an HTTP header (it has ")
    assert secret.strip()[:10] not in problem
    assert all("authorization" not in {k.lower() for k in r.headers} for r in fault_server.requests)
    assert client.stats.delivered == 1  # the fault server takes anything
    logs.assert_free_of(secret.strip()[:20])


def test_the_sdk_log_filter_scrubs_the_key_from_messages_and_exceptions(
    fault_server: FaultServer,
) -> None:
    key = "0123456789abcdef" * 4
    echo = f"invalid header Authorization: Bearer {key} (key {key})"
    fault_server.script(Reply(status=400, json_body={"detail": echo}))
    with all_logs() as logs:
        config = TelemetryConfig(
            server_url=fault_server.url, api_key=key, instance_id=INSTANCE_ID, max_retries=0
        )
        client = TelemetryClient(config)
        client.track(_event())
        client.start()
        client.stop()
    assert "<redacted>" in logs.text  # the server's echo was logged, scrubbed
    logs.assert_free_of(key)
    assert client.queue_size == 1  # kept for a later cycle after the 400


def test_doctor_scrubs_a_key_echoed_by_the_server(
    fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "fedcba9876543210" * 4
    fault_server.script(
        Reply(status=401, json_body={"detail": f"rejected header 'Bearer {key}' ({key.upper()})"})
    )
    args = ["doctor", "--server-url", fault_server.url, "--api-key", key]
    status = main([*args, "--instance-id", INSTANCE_ID])
    out, err = capsys.readouterr()
    assert status == 1
    assert "the server rejected the API key (HTTP 401" in out
    assert key not in out + err
    assert key.upper() not in out + err
    assert "<redacted>" in out


# --- credentials in server_url -----------------------------------------------------------------


def test_credentials_in_server_url_are_an_error_masked_everywhere_and_never_sent(
    local_server: LocalServer,
) -> None:
    url = _with_credentials(local_server.url)
    with all_logs() as logs:
        config = TelemetryConfig(
            server_url=url, api_key=API_KEY, instance_id=INSTANCE_ID, max_retries=0
        )
        problems = config.validate()
        client = TelemetryClient(config)
        shown = repr(config) + repr(client) + config.events_url
        client = _deliver(config)
    masked = local_server.url.replace("http://", "http://***@")
    assert problems == [
        f"server_url must not contain credentials (user:password@), got '{masked}': they are "
        "never sent; the API key is the only credential"
    ]
    assert masked in repr(config)
    for text in (shown, logs.text, *problems):
        assert PASSWORD not in text
        assert USER not in text
    # Sent with the Bearer key, not turned into Basic auth: the server stored the events.
    assert client.stats.delivered == 3
    assert local_server.stats().events == 3


def test_dry_run_and_warnings_mask_credentials(caplog: pytest.LogCaptureFixture) -> None:
    url = _with_credentials("http://127.0.0.1:9")
    with all_logs() as logs:
        config = TelemetryConfig(server_url=url, api_key=API_KEY, instance_id=INSTANCE_ID)
        config.dry_run = True
        client = _deliver(config, events=2)
    assert client.stats.dry_run == 2
    assert "[DRY RUN] Would submit batch of 2 events to http://127.0.0.1:9" in logs.text
    assert "must not contain credentials" in logs.text
    assert PASSWORD not in logs.text
    assert USER not in logs.text


def test_the_cli_masks_credentials(
    local_server: LocalServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = _with_credentials(local_server.url)
    connection = ["--server-url", url, "--api-key", API_KEY, "--instance-id", INSTANCE_ID]
    events = tmp_path / "events.jsonl"
    events.write_text('{"a": 1}\n')
    assert main(["doctor", *connection]) == 1
    assert main(["send", str(events), *connection]) == 2
    out, err = capsys.readouterr()
    assert "must not contain credentials" in out + err
    assert "***@127.0.0.1" in out
    assert PASSWORD not in out + err
    assert USER not in out + err
    assert local_server.stats().events == 0


def test_redirects_are_not_followed_with_the_key(fault_server: FaultServer) -> None:
    with FaultServer() as elsewhere:
        fault_server.script(
            Reply(
                status=307, json_body={}, headers={"Location": elsewhere.url + "/v1/events/batch"}
            )
        )
        config = TelemetryConfig(
            server_url=fault_server.url, api_key=API_KEY, instance_id=INSTANCE_ID, max_retries=0
        )
        client = _deliver(config, events=1)
        assert elsewhere.requests == []
    assert client.queue_size == 1  # a 3xx is an answer: kept for a later cycle


# --- numbers, switches and strings ---------------------------------------------------------------


def _config(url: str, **overrides: object) -> TelemetryConfig:
    values: dict[str, object] = {"server_url": url, "api_key": API_KEY, "instance_id": INSTANCE_ID}
    values.update(overrides)
    return TelemetryConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e300, 10**400])
def test_an_unusable_interval_is_reported_and_never_kills_the_worker(
    local_server: LocalServer, value: float
) -> None:
    config = _config(local_server.url, submit_interval_seconds=value)
    [problem] = config.validate()
    assert problem.startswith("submit_interval_seconds must be")
    client = TelemetryClient(config)
    client.start()
    client.track(_event())
    time.sleep(0.2)
    assert client.is_running  # the worker thread did not die of OverflowError
    client.stop()
    assert client.stats.delivered == 1


@pytest.mark.parametrize("value", [math.nan, math.inf, 0, -1, 0.0, 1e-9])
def test_an_unusable_timeout_is_reported_and_sends_still_work(
    local_server: LocalServer, value: float
) -> None:
    config = _config(local_server.url, request_timeout_seconds=value, max_retries=0)
    [problem] = config.validate()
    assert problem.startswith("request_timeout_seconds must be")
    client = _deliver(config)  # stop() must not raise ValueError for nan
    assert client.stats.delivered == 3


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/\x00", "http://127.0.0.1\x00:9", "http://a b"])
def test_control_characters_in_server_url_never_make_start_raise(url: str) -> None:
    config = _config(url, max_retries=0, request_timeout_seconds=1.0)
    [problem] = config.validate()
    assert problem.startswith("server_url must not contain spaces or control characters")
    client = TelemetryClient(config)
    client.start()
    client.track(_event())
    client.stop()
    # Undeliverable, never lost: still queued for a later start.
    assert client.queue_size == 1


def _submitter_cpu_seconds() -> float:
    """CPU time the submitter thread has used so far (Linux: per-thread CPU clock)."""
    [thread] = [t for t in threading.enumerate() if t.name == "mosaicstack-telemetry-submitter"]
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


@pytest.mark.skipif(
    not hasattr(time, "pthread_getcpuclockid"), reason="needs per-thread CPU clocks (Linux)"
)
@pytest.mark.parametrize("value", [0, -1, math.nan, 0.0001])
def test_a_tiny_interval_does_not_busy_loop(fault_server: FaultServer, value: float) -> None:
    config = _config(fault_server.url, submit_interval_seconds=value)
    assert config.validate() != []
    client = TelemetryClient(config)
    client.start()
    try:
        before = _submitter_cpu_seconds()
        time.sleep(1.5)
        used = _submitter_cpu_seconds() - before
    finally:
        client.stop()
    # A spinning submitter uses a good part of a core even on a loaded machine (0.3 s of
    # 1.5 s measured at load 8); an idle one waits on an event and uses nothing.
    assert used < 0.05, f"{used:.3f} s of CPU in 1.5 s: the submitter is spinning"


@pytest.mark.parametrize("value", ["false", "False", "0", "no", "", "true", 0, 1, None])
def test_a_switch_that_is_not_a_bool_is_refused_and_fails_safe(
    fault_server: FaultServer, value: object
) -> None:
    config = _config(fault_server.url, enabled=value)
    [problem] = config.validate()
    assert problem.startswith("enabled must be True or False, got ")
    client = TelemetryClient(config)
    client.start()
    client.track(_event())
    assert not client.is_running
    client.stop()
    assert client.queue_size == 0
    assert fault_server.requests == []


def test_dry_run_that_is_not_a_bool_sends_nothing(fault_server: FaultServer) -> None:
    config = _config(fault_server.url, dry_run="false")
    [problem] = config.validate()
    assert "dry_run must be True or False, got the string 'false'" in problem
    client = _deliver(config, events=2)
    assert client.stats.dry_run == 2
    assert fault_server.requests == []


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("max_queue_size", 0, "must be between 1 and 1,000,000 events, got 0"),
        ("max_queue_size", 10.5, "must be an integer, got float 10.5"),
        ("max_queue_size", True, "must be an integer, got bool True"),
        ("batch_size", "100", "must be an integer, got str '100'"),
        ("max_retries", -1, "must be between 0 and 20 retries, got -1"),
        ("prediction_cache_ttl_seconds", math.nan, "must be a finite number, got nan"),
        ("user_agent", "agent\r\nX-Evil: 1", "must be non-empty printable ASCII"),
        ("server_url", None, "must be a string, got NoneType None"),
        ("instance_id", 12, "must be a string, got int 12"),
    ],
)
def test_each_field_problem_names_the_field(field: str, value: object, fragment: str) -> None:
    problem = field_problem(field, value)
    assert problem is not None
    assert problem.startswith(f"{field} ")
    assert fragment in problem


def test_the_client_runs_with_defaults_for_invalid_fields(
    fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(
        fault_server.url, batch_size=0, max_queue_size=-5, max_retries=math.nan, user_agent=""
    )
    with caplog.at_level("WARNING", logger="mosaicstack_telemetry"):
        client = _deliver(config, events=3)
    warnings = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("Telemetry config problem: batch_size") for m in warnings)
    assert any("using 100 events instead" in m for m in warnings)
    assert any("using 1000 events instead" in m for m in warnings)
    assert sum("batch_size" in m for m in warnings) == 1  # once, not per batch
    assert client.stats.delivered == 3
    agents = {r.headers.get("User-Agent") for r in fault_server.requests}
    assert agents == {TelemetryConfig().user_agent}


def test_every_field_has_a_rule_and_a_valid_default() -> None:
    from dataclasses import fields

    defaults = TelemetryConfig.__dataclass_fields__
    assert {f.name for f in fields(TelemetryConfig)} == set(FIELD_RULES)
    for name in FIELD_RULES:
        if name in ("server_url", "api_key", "instance_id"):
            continue  # required: no usable default
        assert field_problem(name, defaults[name].default) is None, name


def test_the_configuration_doc_lists_every_rule() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    for name, rule in FIELD_RULES.items():
        assert f"`{name}`" in doc, name
        if rule.unit:
            assert f"| {rule.unit} |" in doc, name


async def test_the_asyncio_submitter_survives_unusable_numbers(local_server: LocalServer) -> None:
    config = _config(
        local_server.url,
        submit_interval_seconds=math.inf,
        request_timeout_seconds=math.nan,
        max_retries=-3,
    )
    assert len(config.validate()) == 3
    client = TelemetryClient(config)
    await client.start_async()
    client.track(_event())
    assert client.is_running
    await client.stop_async()
    assert client.stats.delivered == 1


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_doctor_refuses_an_unusable_timeout(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert main(["doctor", "--timeout", value]) == 2
    assert "--timeout must be a number of seconds" in capsys.readouterr().err
