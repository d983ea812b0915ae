"""Property tests of the SDK's input surfaces: config fields and environment variables,
EventBuilder setters, track() arguments, Retry-After values, and server answers fed to delivery.

For every input: no exception reaches the host, nothing hangs, the key appears in no log record
(every logger at DEBUG) or message, invalid input gets an error naming its field, and every
tracked event is accounted for. Case counts: tests/properties.py.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import httpx
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from mosaicstack_telemetry import (
    Complexity,
    EventBuilder,
    EventQueue,
    Harness,
    Outcome,
    Provider,
    QualityGate,
    RepoSizeCategory,
    TaskCompletionEvent,
    TaskType,
    TelemetryClient,
    TelemetryConfig,
)
from mosaicstack_telemetry._config import FIELD_RULES, KEEP, field_problem, usable_config
from mosaicstack_telemetry._delivery import Delivery, DeliveryStats
from mosaicstack_telemetry._errors import ApiError, parse_retry_after
from mosaicstack_telemetry._generated import endpoints
from mosaicstack_telemetry._generated.models import BatchEventRequest, BatchEventResponse
from mosaicstack_telemetry._retry import RetryPolicy
from mosaicstack_telemetry._worker import run_steps
from tests.factories import INSTANCE_ID, event_payload
from tests.fault_server import FaultServer
from tests.properties import (
    SECRET_KEY,
    anything,
    cases,
    hostile_numbers,
    hostile_text,
    json_values,
    mostly,
)
from tests.secrets_log import all_logs

_ENV = {
    "MOSAIC_TELEMETRY_ENABLED": "",
    "MOSAIC_TELEMETRY_SERVER_URL": "",
    "MOSAIC_TELEMETRY_API_KEY": "",
    "MOSAIC_TELEMETRY_INSTANCE_ID": "",
}


def _clean_env() -> Any:
    return mock.patch.dict(os.environ, _ENV)


# --- TelemetryConfig fields --------------------------------------------------------------------

_FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "server_url": st.one_of(
        anything,
        st.sampled_from(["http://u:p@h", "https://h/\x00", "http://[::1", "http://h:99999"]),
        st.builds(lambda t: "http://" + t, hostile_text),
    ),
    "api_key": st.one_of(
        anything,
        st.builds(lambda pad: pad + SECRET_KEY + pad, st.sampled_from([" ", "\n", "\t", ""])),
        st.builds(lambda t: SECRET_KEY + t, hostile_text),
    ),
    "instance_id": st.one_of(anything, st.just(INSTANCE_ID), st.uuids()),
    "enabled": anything,
    "dry_run": anything,
    "flush_on_sigterm": anything,
    "user_agent": anything,
    **{
        name: st.one_of(hostile_numbers, anything)
        for name, rule in FIELD_RULES.items()
        if rule.kind in (int, float)
    },
}
configs = st.fixed_dictionaries({}, optional=_FIELD_VALUES)


def _secret_in(config_kwargs: dict[str, Any]) -> str | None:
    key = config_kwargs.get("api_key")
    if isinstance(key, str) and SECRET_KEY in key:
        return SECRET_KEY
    return None


@cases("config_fields")
@given(configs)
@example({"submit_interval_seconds": 10**400})
@example({"max_retries": math.nan, "batch_size": True, "enabled": "false"})
@example({"api_key": SECRET_KEY + "\ud800", "server_url": "http://u:p@h\x00"})
def test_any_config_is_reported_never_raised_and_the_client_runs_valid(
    kwargs: dict[str, Any],
) -> None:
    with _clean_env(), all_logs() as logs:
        config = TelemetryConfig(**kwargs)
        problems = config.validate()
        text = repr(config) + "\n".join(problems) + config.events_url
        usable, messages = usable_config(config)
        client = TelemetryClient(config)
        text += repr(client)
    assert all(isinstance(p, str) and p.split(" ")[0] in FIELD_RULES for p in problems)
    for name, rule in FIELD_RULES.items():
        if rule.fallback is not KEEP:
            # The client never runs with an invalid value.
            assert field_problem(name, getattr(usable, name)) is None, name
    assert len(messages) == len(problems)
    secret = _secret_in(kwargs)
    if secret is not None:
        assert secret not in text
        logs.assert_free_of(secret)


_REACHABLE_CONFIG = {
    "api_key": st.one_of(anything, st.just(SECRET_KEY), st.just(SECRET_KEY + "\n")),
    "enabled": mostly(True, anything),
    "dry_run": mostly(False, anything),
    "submit_interval_seconds": st.one_of(hostile_numbers, st.just(0.05)),
    "batch_size": st.one_of(hostile_numbers, st.integers(1, 100)),
    "max_queue_size": st.one_of(hostile_numbers, st.integers(1, 50)),
    "max_retries": st.one_of(hostile_numbers, st.integers(0, 2)),
    "user_agent": anything,
}


@cases("config_client")
@given(
    st.fixed_dictionaries({}, optional=_REACHABLE_CONFIG),
    mostly(
        "{url}",
        st.sampled_from(["{url}/", "http://user:pw@{host}", "{url}\x00", "ftp://{host}"]),
    ),
    st.integers(1, 5),
)
def test_a_client_with_any_config_starts_stops_and_accounts_for_every_event(
    fault_server: FaultServer, kwargs: dict[str, Any], url: str, events: int
) -> None:
    host = fault_server.url.removeprefix("http://")
    kwargs.update(
        server_url=url.format(url=fault_server.url, host=host),
        instance_id=INSTANCE_ID,
        request_timeout_seconds=5.0,
    )
    with _clean_env(), all_logs() as logs:
        config = TelemetryConfig(**kwargs)
        enabled = usable_config(config)[0].enabled  # an invalid switch means off
        client = TelemetryClient(config)
        client.start()
        for _ in range(events):
            client.track(TaskCompletionEvent(**event_payload()))
        client.stop()
    s = client.stats
    tracked = events if enabled else 0
    accounted = s.delivered + s.rejected + s.dropped + s.dry_run + s.evicted + client.queue_size
    assert accounted == tracked, s
    assert not client.is_running
    logs.assert_free_of(SECRET_KEY)
    assert all("user:pw" not in r.path for r in fault_server.requests)
    for request in fault_server.requests:
        assert "basic" not in request.headers.get("Authorization", "").lower()


# --- environment variables -------------------------------------------------------------------

env_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=80
)


@cases("env")
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "MOSAIC_TELEMETRY_ENABLED": env_text,
            "MOSAIC_TELEMETRY_SERVER_URL": st.one_of(
                env_text, st.builds(lambda t: "https://x:" + t + "@h", env_text)
            ),
            "MOSAIC_TELEMETRY_API_KEY": st.one_of(
                env_text, st.builds(lambda t: t + SECRET_KEY + t, env_text)
            ),
            "MOSAIC_TELEMETRY_INSTANCE_ID": env_text,
        },
    )
)
@example({"MOSAIC_TELEMETRY_API_KEY": SECRET_KEY + "\n", "MOSAIC_TELEMETRY_ENABLED": " TRUE "})
def test_any_environment_is_read_without_raising_or_leaking(env: dict[str, str]) -> None:
    with mock.patch.dict(os.environ, {**_ENV, **env}), all_logs() as logs:
        config = TelemetryConfig()
        problems = config.validate()
        client = TelemetryClient(config)
        text = repr(config) + repr(client) + "\n".join(problems)
    assert isinstance(config.enabled, bool)
    if SECRET_KEY in env.get("MOSAIC_TELEMETRY_API_KEY", ""):
        assert SECRET_KEY not in text
        logs.assert_free_of(SECRET_KEY)


# --- EventBuilder setters --------------------------------------------------------------------

_SETTERS: dict[str, st.SearchStrategy[Any]] = {
    "event_id": st.one_of(anything, st.uuids()),
    "timestamp": st.one_of(anything, st.datetimes(), st.datetimes(timezones=st.timezones())),
    "task_type": st.one_of(anything, st.sampled_from(TaskType)),
    "complexity_level": st.one_of(anything, st.sampled_from(Complexity)),
    "harness_type": st.one_of(anything, st.sampled_from(Harness)),
    "model": st.one_of(anything, st.text(max_size=300)),
    "provider": st.one_of(anything, st.sampled_from(Provider)),
    "duration_ms": st.one_of(anything, st.integers(0, 86_400_000)),
    "outcome_value": st.one_of(anything, st.sampled_from(Outcome)),
    "retry_count": st.one_of(anything, st.integers(0, 20)),
    "language": st.one_of(anything, st.text(max_size=40)),
    "repo_size": st.one_of(anything, st.sampled_from(RepoSizeCategory)),
}
_KEYWORD_SETTERS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "tokens": dict.fromkeys(("estimated_in", "estimated_out", "actual_in", "actual_out"), anything),
    "cost": dict.fromkeys(("estimated", "actual"), anything),
    "quality": {
        "passed": anything,
        "gates_run": st.one_of(anything, st.lists(st.sampled_from(QualityGate), max_size=4)),
        "gates_failed": st.one_of(anything, st.lists(anything, max_size=2)),
    },
    "context": dict.fromkeys(("compactions", "rotations", "utilization"), anything),
}
setter_calls = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(sorted(_SETTERS)), st.just(None)).flatmap(
            lambda call: st.tuples(st.just(call[0]), st.tuples(_SETTERS[call[0]]), st.just({}))
        ),
        st.sampled_from(sorted(_KEYWORD_SETTERS)).flatmap(
            lambda name: st.tuples(
                st.just(name),
                st.just(()),
                st.fixed_dictionaries(
                    {"passed": anything} if name == "quality" else {},
                    optional={k: v for k, v in _KEYWORD_SETTERS[name].items() if k != "passed"},
                ),
            )
        ),
    ),
    max_size=6,
)


@cases("builder")
@given(st.one_of(anything, st.uuids(), st.just(INSTANCE_ID)), setter_calls)
@example(INSTANCE_ID, [("quality", (), {"passed": True, "gates_run": 5})])
@example(INSTANCE_ID, [("context", (), {"utilization": math.nan})])
# A UTC offset with seconds (RFC 3339 offsets are whole minutes): sent in UTC, not shifted.
@example(
    INSTANCE_ID, [("timestamp", (datetime(1912, 1, 1, tzinfo=ZoneInfo("Africa/Abidjan")),), {})]
)
def test_builder_setters_never_raise_and_build_names_the_bad_field(
    instance_id: Any, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> None:
    builder = EventBuilder(instance_id)
    for name, args, kwargs in calls:
        assert getattr(builder, name)(*args, **kwargs) is builder
    try:
        event = builder.build()
    except ValidationError as exc:
        fields = set(TaskCompletionEvent.model_fields)
        for error in exc.errors():
            assert error["loc"], error
            assert error["loc"][0] in fields, error
    else:
        # A built event is valid on the wire.
        assert TaskCompletionEvent.model_validate_json(event.model_dump_json()) == event


# --- track() ---------------------------------------------------------------------------------

tracked_things = st.lists(
    st.one_of(
        anything,
        st.just("event"),
        st.builds(lambda: EventBuilder(INSTANCE_ID)),
        st.builds(lambda: event_payload()),
    ),
    max_size=8,
)


@cases("track")
@given(tracked_things)
def test_track_never_raises_and_counts_what_it_drops(things: list[Any]) -> None:
    with _clean_env():
        client = TelemetryClient(
            TelemetryConfig(
                server_url="http://127.0.0.1:9", api_key=SECRET_KEY, instance_id=INSTANCE_ID
            )
        )
    valid = 0
    for thing in things:
        if thing == "event":
            thing = TaskCompletionEvent(**event_payload())
            valid += 1
        assert client.track(thing) is None
    assert client.queue_size == valid
    assert client.stats.invalid == len(things) - valid


# --- Retry-After -----------------------------------------------------------------------------

retry_after_values = st.one_of(
    st.none(),
    hostile_text,
    st.builds(str, hostile_numbers),
    st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "-5", "1e400", "inf", "nan", "  30  "]),
)


@cases("retry_after")
@given(retry_after_values, st.integers(0, 50))
@example("nan", 0)
@example("INF", 0)
@example("9" * 400, 0)
@example("Sun, 06 Nov 1994 08:49:37 +9999", 0)
def test_retry_after_never_raises_and_waits_a_bounded_time(value: str | None, done: int) -> None:
    seconds = parse_retry_after(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    policy = RetryPolicy(max_retries=100, random=lambda: 0.5)
    decision = policy.decide(ApiError(429, "slow down", retry_after=seconds), done)
    assert 0 <= decision.delay <= policy.max_retry_after
    headers = {} if value is None else {"Retry-After": value.encode("utf-8", "replace")}
    response = httpx.Response(429, headers=headers, content=b"{}")
    error = ApiError.from_response(response)
    assert error.retry_after is None or error.retry_after >= 0


# --- server answers fed to the delivery core --------------------------------------------------

_STATUSES = st.one_of(
    st.sampled_from([200, 202, 204, 301, 307, 400, 401, 403, 404, 408, 413, 422, 429, 500, 503]),
    st.integers(100, 599),
)
_EXCEPTIONS = st.sampled_from(
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("garbage"),
        RuntimeError("unexpected"),
        ValueError(SECRET_KEY),
    ]
)


@st.composite
def _bodies(draw: st.DrawFn, events: list[TaskCompletionEvent]) -> bytes:
    ids = [str(e.event_id) for e in events]
    results = st.lists(
        st.fixed_dictionaries(
            {
                "event_id": st.one_of(st.sampled_from(ids), st.uuids().map(str), json_values),
                "status": st.one_of(st.sampled_from(["accepted", "rejected"]), json_values),
                "error": st.one_of(
                    st.none(),
                    st.text(max_size=20),
                    st.just(f"duplicate {SECRET_KEY}"),
                    st.just(f"Bearer {SECRET_KEY}"),
                ),
            }
        ),
        max_size=len(ids) + 1,
    )
    shaped = st.fixed_dictionaries(
        {"accepted": json_values, "rejected": json_values, "results": results}
    )
    value = draw(
        st.one_of(
            shaped,
            st.fixed_dictionaries({"detail": st.one_of(json_values, st.just(SECRET_KEY))}),
            json_values,
        )
    )
    import json

    raw = draw(st.one_of(st.just(json.dumps(value).encode()), st.binary(max_size=40)))
    return raw


@cases("delivery")
@given(st.data(), st.integers(1, 12), st.integers(1, 5), st.integers(0, 3))
def test_any_server_answer_leaves_every_event_accounted_for(
    data: st.DataObject, count: int, batch_size: int, max_retries: int
) -> None:
    queue = EventQueue(max_size=100)
    events = [TaskCompletionEvent(**event_payload()) for _ in range(count)]
    for event in events:
        queue.put(event)
    stats = DeliveryStats()
    delivery = Delivery(
        queue,
        RetryPolicy(max_retries=max_retries),
        stats,
        batch_size=batch_size,
        target_url="http://127.0.0.1:9/v1/events/batch",
    )
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/events/batch")

    def send(batch: BatchEventRequest) -> BatchEventResponse:
        if data.draw(st.integers(0, 9)) == 0:
            raise data.draw(_EXCEPTIONS)
        status = data.draw(_STATUSES)
        headers = {"Retry-After": data.draw(st.sampled_from(["1", "x", "1e9", "-3"]))}
        body = data.draw(_bodies(batch.events))
        response = httpx.Response(status, headers=headers, content=body, request=request)
        return endpoints._parse(response, BatchEventResponse)

    waits: list[float] = []
    with all_logs() as logs:
        tracked_key = TelemetryConfig(api_key=SECRET_KEY)  # registered with the log filter
        run_steps(delivery.flush(), send, waits.append)
        del tracked_key
    # Every event is delivered, rejected, dropped or still queued: none vanish, none double.
    assert stats.delivered + stats.rejected + stats.dropped + queue.size == count, stats
    assert queue.size <= count
    assert all(0 <= w <= 300 for w in waits)
    assert len(waits) <= max_retries * count
    logs.assert_free_of(SECRET_KEY)
