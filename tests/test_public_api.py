"""The public surface is the reference's list plus DeliveryStats; the package imports lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mosaicstack_telemetry
from mosaicstack_telemetry._errors import parse_retry_after

REFERENCE_NAMES = [
    "BatchEventRequest",
    "BatchEventResponse",
    "BatchEventResult",
    "Complexity",
    "CorrectionFactors",
    "EventBuilder",
    "EventQueue",
    "Harness",
    "Outcome",
    "PredictionCache",
    "PredictionData",
    "PredictionMetadata",
    "PredictionQuery",
    "PredictionResponse",
    "Provider",
    "QualityGate",
    "QualityPrediction",
    "RepoSizeCategory",
    "TaskCompletionEvent",
    "TaskType",
    "TelemetryClient",
    "TelemetryConfig",
    "TelemetryError",
    "TokenDistribution",
]


# Beyond the reference: the type of `TelemetryClient.stats`, so that it can be named in annotations.
ADDED_NAMES = ["DeliveryStats"]
PUBLIC_NAMES = REFERENCE_NAMES + ADDED_NAMES


def test_all_is_the_reference_list_plus_the_stats_type_sorted() -> None:
    assert mosaicstack_telemetry.__all__ == sorted(PUBLIC_NAMES)


def test_the_stats_type_is_what_client_stats_returns() -> None:
    from mosaicstack_telemetry import DeliveryStats, TelemetryClient, TelemetryConfig

    client = TelemetryClient(TelemetryConfig(enabled=False))
    assert type(client.stats) is DeliveryStats


def test_every_name_resolves_and_is_in_dir() -> None:
    for name in PUBLIC_NAMES:
        assert getattr(mosaicstack_telemetry, name).__name__ == name
        assert name in dir(mosaicstack_telemetry)


def test_star_import_gives_the_reference_names() -> None:
    namespace: dict[str, object] = {}
    exec("from mosaicstack_telemetry import *", namespace)
    assert sorted(k for k in namespace if not k.startswith("__")) == sorted(PUBLIC_NAMES)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        mosaicstack_telemetry.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_mypy_rejects_a_misspelt_import_and_accepts_the_real_names(tmp_path: Path) -> None:
    # The lazy __getattr__ must be invisible to type checkers, or every typo type-checks.
    (tmp_path / "typo.py").write_text("from mosaicstack_telemetry import TelemetryClinet\n")
    (tmp_path / "right.py").write_text(
        "from mosaicstack_telemetry import DeliveryStats, TelemetryClient, TelemetryConfig\n"
        "\n\n"
        "def counters(config: TelemetryConfig) -> DeliveryStats:\n"
        "    return TelemetryClient(config).stats\n"
    )
    cmd = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary"]
    cmd += ["--cache-dir", str(tmp_path / ".mypy_cache"), "typo.py", "right.py"]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, done.stdout
    assert errors[0].startswith("typo.py:1: error:")
    assert '"TelemetryClinet"' in errors[0]


def test_telemetry_error_is_an_exception() -> None:
    assert issubclass(mosaicstack_telemetry.TelemetryError, Exception)


def test_enums_are_str_enums() -> None:
    from enum import Enum

    for name in ("TaskType", "Complexity", "Harness", "Provider", "Outcome", "QualityGate"):
        enum_cls = getattr(mosaicstack_telemetry, name)
        assert issubclass(enum_cls, str)
        assert issubclass(enum_cls, Enum)


def test_plain_import_loads_neither_httpx_nor_the_models() -> None:
    code = (
        "import sys, mosaicstack_telemetry\n"
        "print('httpx' in sys.modules, 'mosaicstack_telemetry._generated.models' in sys.modules)\n"
        "mosaicstack_telemetry.TelemetryError\n"
        "print('httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_logging_adds_no_handlers_to_the_host() -> None:
    import logging

    assert logging.getLogger("mosaicstack_telemetry").handlers == []
    assert logging.getLogger("mosaicstack_telemetry").level == logging.NOTSET


def test_retry_after_parsing() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(" 30 ") == 30.0
    # RFC 9110 delay-seconds are digits only: the rest is unusable (backoff applies).
    for junk in ("1.5", "-3", "+3", "1e3", "nan", "inf", "1_000"):
        assert parse_retry_after(junk) is None, junk
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now=now) == 60.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0.0
