"""Python SDK for Mosaic Telemetry: report AI coding task-completion telemetry, read predictions.

Names are loaded on first access (PEP 562), so `import mosaicstack_telemetry` stays cheap until
the parts that need pydantic and httpx are used. The lazy `__getattr__` exists only at run time:
type checkers see the imports below instead, so a misspelt name is an error there too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

if TYPE_CHECKING:
    from ._builder import EventBuilder
    from ._cache import PredictionCache
    from ._client import TelemetryClient
    from ._config import TelemetryConfig
    from ._delivery import DeliveryStats
    from ._errors import TelemetryError
    from ._estimate import Estimate as Estimate
    from ._generated.models import (
        BatchEventRequest,
        BatchEventResponse,
        BatchEventResult,
        Complexity,
        CorrectionFactors,
        Harness,
        Outcome,
        PredictionData,
        PredictionMetadata,
        PredictionQuery,
        PredictionResponse,
        Provider,
        QualityGate,
        QualityPrediction,
        RepoSizeCategory,
        TaskType,
        TokenDistribution,
    )
    from ._models import TaskCompletionEvent
    from ._queue import EventQueue

_GENERATED = "._generated.models"
_WHERE = {
    "BatchEventRequest": _GENERATED,
    "BatchEventResponse": _GENERATED,
    "BatchEventResult": _GENERATED,
    "Complexity": _GENERATED,
    "CorrectionFactors": _GENERATED,
    "DeliveryStats": "._delivery",
    "Estimate": "._estimate",  # an addition to the reference: importable, not in __all__
    "EventBuilder": "._builder",
    "EventQueue": "._queue",
    "Harness": _GENERATED,
    "Outcome": _GENERATED,
    "PredictionCache": "._cache",
    "PredictionData": _GENERATED,
    "PredictionMetadata": _GENERATED,
    "PredictionQuery": _GENERATED,
    "PredictionResponse": _GENERATED,
    "Provider": _GENERATED,
    "QualityGate": _GENERATED,
    "QualityPrediction": _GENERATED,
    "RepoSizeCategory": _GENERATED,
    "TaskCompletionEvent": "._models",
    "TaskType": _GENERATED,
    "TelemetryClient": "._client",
    "TelemetryConfig": "._config",
    "TelemetryError": "._errors",
    "TokenDistribution": _GENERATED,
}

__all__ = [
    "BatchEventRequest",
    "BatchEventResponse",
    "BatchEventResult",
    "Complexity",
    "CorrectionFactors",
    "DeliveryStats",
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


if not TYPE_CHECKING:
    # Hidden from type checkers: a module-level `__getattr__ -> Any` would make every misspelt
    # name (`TelemetryClinet`) type-check and fail only at run time.

    def __getattr__(name: str) -> Any:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
