"""LlmTask: time one LLM task, sum its calls' usage and cost, queue one TaskCompletionEvent.

Nothing here does network I/O or raises into the host: a problem is logged and the event is
still queued with what is known (the host's own exception is re-raised untouched).
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from .._generated.models import Complexity, Harness, Outcome, PredictionQuery, Provider
from .._models import TaskCompletionEvent, new_event_id
from ._cost import cost_micros
from ._prices import ModelPrice, PriceTable
from ._stream import _Report, wrap_stream
from ._task_type import infer_task_type
from ._usage import OLLAMA, LlmUsage, usage_from

if TYPE_CHECKING:
    from .._client import TelemetryClient

logger = logging.getLogger("mosaicstack_telemetry")

F = TypeVar("F", bound=Callable[..., Any])

_PROVIDERS = frozenset(p.value for p in Provider)
_FREE_PROVIDERS = frozenset({OLLAMA})  # local models: no per-token price
_warned: set[str] = set()  # warnings given once per process
_warned_lock = threading.Lock()


def _schema_maxima() -> dict[str, int]:
    # The spec's `maximum`s, read from the generated model so that they cannot drift.
    maxima = {}
    for name, info in TaskCompletionEvent.model_fields.items():
        for constraint in info.metadata:
            bound = getattr(constraint, "le", None)
            if isinstance(bound, int):
                maxima[name] = bound
    return maxima


_MAXIMA = _schema_maxima()
_CLAMPED = tuple(
    (name, _MAXIMA[name])
    for name in (
        "task_duration_ms",
        "estimated_input_tokens",
        "estimated_output_tokens",
        "actual_input_tokens",
        "actual_output_tokens",
        "estimated_cost_usd_micros",
        "actual_cost_usd_micros",
        "retry_count",
    )
)

_default_prices: PriceTable | None = None


def use_prices(table: PriceTable | None) -> None:
    """Make `table` the default price table of every llm_task (None: back to the bundled one)."""
    global _default_prices
    _default_prices = table


def default_prices() -> PriceTable:
    """The price table llm_task uses when none is passed."""
    return _default_prices or PriceTable.bundled()


class LlmTask:
    """One LLM task: `with client.llm_task(...) as task:` (or `async with`, or a decorator).

    Attributes: `usage` (the sum of the recorded calls' LlmUsage, None before the first),
    `cost_usd_micros` (the sum of their costs), `retry_count`; set `outcome` or
    `quality_gate_passed` to override the defaults (success unless an exception escaped the
    block; passed when the outcome is success).
    """

    __slots__ = (
        "_client",
        "_done",
        "_estimated",
        "_language",
        "_model",
        "_prices",
        "_provider",
        "_repo_size",
        "_started",
        "_streams",
        "_system_prompt",
        "_task_type_given",
        "complexity",
        "cost_usd_micros",
        "harness",
        "outcome",
        "quality_gate_passed",
        "retry_count",
        "task_type",
        "usage",
    )

    def __init__(
        self,
        client: TelemetryClient,
        *,
        task_type: str | None = None,
        complexity: Complexity | str = Complexity.MEDIUM,
        harness: Harness | str = Harness.API_DIRECT,
        provider: Provider | str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        estimated_input_tokens: int | None = None,
        estimated_output_tokens: int | None = None,
        estimated_cost_usd_micros: int | None = None,
        prices: PriceTable | None = None,
        language: str | None = None,
        repo_size_category: str | None = None,
    ) -> None:
        self._client = client
        self._system_prompt = system_prompt
        self._task_type_given = task_type
        self.task_type: str = infer_task_type(
            system_prompt=system_prompt, hint=getattr(task_type, "value", task_type)
        )
        self.complexity = getattr(complexity, "value", complexity)
        self.harness = getattr(harness, "value", harness)
        self._provider = getattr(provider, "value", provider)
        self._model = model
        self._estimated = (
            estimated_input_tokens,
            estimated_output_tokens,
            estimated_cost_usd_micros,
        )
        self._prices = prices
        self._language = language
        self._repo_size = getattr(repo_size_category, "value", repo_size_category)
        self.usage: LlmUsage | None = None
        self.cost_usd_micros = 0
        self.retry_count = 0
        self.outcome: Outcome | str | None = None
        self.quality_gate_passed: bool | None = None
        self._streams: list[_Report] = []
        self._started = 0
        self._done = False

    def _options(self) -> dict[str, Any]:
        """The keyword arguments this task was made with (the decorator makes one per call)."""
        return {
            "task_type": self._task_type_given,
            "complexity": self.complexity,
            "harness": self.harness,
            "provider": self._provider,
            "model": self._model,
            "system_prompt": self._system_prompt,
            "estimated_input_tokens": self._estimated[0],
            "estimated_output_tokens": self._estimated[1],
            "estimated_cost_usd_micros": self._estimated[2],
            "prices": self._prices,
            "language": self._language,
            "repo_size_category": self._repo_size,
        }

    # -- recording ------------------------------------------------------------------------

    def record(self, response: Any, *, provider: str | None = None) -> Any:
        """Add a response's usage (any supported provider, SDK object or dict); returns it."""
        try:
            self.record_usage(usage_from(response, provider or self._provider))
        except Exception:
            logger.exception("Could not read the usage of an LLM response")
        return response

    def record_usage(self, usage: LlmUsage) -> None:
        """Add one call's usage, priced per call (tiers depend on each call's own input)."""
        if self._done:
            logger.warning("LLM usage recorded after its task ended was not counted")
            return
        try:
            if usage.status == "missing":
                _warn_once(
                    f"missing:{usage.provider}",
                    "An LLM call to %s reported no usage: its tokens count as 0. OpenAI-shaped "
                    "streams report usage only with stream_options={'include_usage': True} "
                    "(mosaicstack_telemetry.llm.with_stream_usage)",
                    usage.provider,
                )
            provider = self._resolve_provider(usage)
            self.cost_usd_micros += self._cost(usage, provider)
            if provider != usage.provider:
                usage = replace(usage, provider=provider)
            self.usage = usage if self.usage is None else self.usage + usage
        except Exception:
            logger.exception("Could not price an LLM call")

    def wrap_stream(self, stream: Any, *, provider: str | None = None) -> Any:
        """Wrap a stream (sync, async or a `with` helper); its usage is recorded when it ends."""
        chosen = provider or self._provider
        wrapped = wrap_stream(stream, self.record_usage, chosen)
        self._streams.append(_report_of(wrapped))
        return wrapped

    def count_retry(self) -> None:
        """Count one retry of the task's LLM call."""
        self.retry_count += 1

    # -- the context manager and decorator ------------------------------------------------

    def __enter__(self) -> LlmTask:
        self._started = time.perf_counter_ns()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._finish(exc)

    async def __aenter__(self) -> LlmTask:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._finish(exc)

    def __call__(self, func: F) -> F:
        """Decorate a function returning a response: each call is one task, recorded."""
        client, options = self._client, self._options()
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with LlmTask(client, **options) as task:
                    return task.record(await func(*args, **kwargs))

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with LlmTask(client, **options) as task:
                return task.record(func(*args, **kwargs))

        return run  # type: ignore[return-value]

    # -- the event ------------------------------------------------------------------------

    def _finish(self, exc: BaseException | None) -> None:
        if self._done:
            return
        ended = time.perf_counter_ns()
        for report in self._streams:  # streams left open (early break): what they had so far
            report.finish()
        self._done = True
        try:
            self._client.track(self._event(exc, (ended - self._started) // 1_000_000))
        except Exception:
            logger.exception("Could not queue the telemetry event of an LLM task")

    def _event(self, exc: BaseException | None, duration_ms: int) -> TaskCompletionEvent:
        usage = self.usage or LlmUsage(provider=self._provider or "unknown", status="missing")
        model = usage.model or self._model or "unknown"
        provider = self._provider or usage.provider
        provider = provider if provider in _PROVIDERS else "custom"
        estimates = self._estimates(model, provider)
        if exc is None:
            outcome = getattr(self.outcome, "value", self.outcome) or "success"
        else:
            outcome = "timeout" if _is_timeout(exc) else "failure"
        passed = self.quality_gate_passed
        fields: dict[str, Any] = {
            "instance_id": _uuid(self._client._config.instance_id),
            "event_id": new_event_id(),
            "timestamp": datetime.now(timezone.utc),
            "task_duration_ms": duration_ms,
            "task_type": self.task_type,
            "complexity": self.complexity,
            "harness": self.harness,
            "model": model[:100],
            "provider": provider,
            "estimated_input_tokens": estimates[0],
            "estimated_output_tokens": estimates[1],
            "actual_input_tokens": usage.input_tokens,
            "actual_output_tokens": usage.output_tokens,
            "estimated_cost_usd_micros": estimates[2],
            "actual_cost_usd_micros": self.cost_usd_micros,
            "quality_gate_passed": outcome == "success" if passed is None else passed,
            "quality_gates_run": [],
            "quality_gates_failed": [],
            "context_compactions": 0,
            "context_rotations": 0,
            "context_utilization_final": 0.0,
            "outcome": outcome,
            "retry_count": self.retry_count,
            "language": self._language,
            "repo_size_category": self._repo_size,
        }
        for name, maximum in _CLAMPED:
            if fields[name] > maximum:
                self._clamp(fields, name, maximum)
        return TaskCompletionEvent.model_validate(fields)

    def _clamp(self, fields: dict[str, Any], name: str, maximum: int) -> None:
        logger.warning(
            "LLM task %s=%d is above the schema maximum %d; sent as %d",
            name,
            fields[name],
            maximum,
            maximum,
        )
        fields[name] = maximum
        self._count("clamped")

    def _estimates(self, model: str, provider: str) -> tuple[int, int, int]:
        tokens_in, tokens_out, cost = self._estimated
        if tokens_in is None or tokens_out is None or cost is None:
            predicted = self._predicted(model, provider)
            tokens_in = predicted[0] if tokens_in is None else tokens_in
            tokens_out = predicted[1] if tokens_out is None else tokens_out
            cost = predicted[2] if cost is None else cost
        return max(0, int(tokens_in)), max(0, int(tokens_out)), max(0, int(cost))

    def _predicted(self, model: str, provider: str) -> tuple[int, int, int]:
        """The medians of the client's cached prediction for these dimensions, else zeros."""
        if not self._client._cache.size:
            return (0, 0, 0)  # nothing cached: skip building a query
        try:
            query = PredictionQuery.model_validate(
                {
                    "task_type": self.task_type,
                    "model": model[:100],
                    "provider": provider,
                    "complexity": self.complexity,
                }
            )
            response = self._client.get_prediction(query)
        except Exception:
            logger.debug("No prediction for an LLM task's estimates", exc_info=True)
            return (0, 0, 0)
        data = None if response is None else response.prediction
        if data is None:
            return (0, 0, 0)
        cost = data.cost_usd_micros.get("median", 0)
        return (data.input_tokens.median, data.output_tokens.median, cost)

    # -- pricing ------------------------------------------------------------------------

    def _resolve_provider(self, usage: LlmUsage) -> str:
        if self._provider:
            return str(self._provider)
        if usage.provider == "openai" and usage.model:
            # Mistral and OpenRouter answer in OpenAI's shape; the price table knows the model.
            price = (self._prices or default_prices()).lookup(usage.model)
            if price is not None and price.provider in _PROVIDERS:
                return price.provider
        return usage.provider

    def _cost(self, usage: LlmUsage, provider: str) -> int:
        if usage.reported_cost_usd_micros is not None:
            return usage.reported_cost_usd_micros  # the provider's own figure wins
        if provider in _FREE_PROVIDERS:
            return 0
        model = usage.model or self._model
        price: ModelPrice | None = None
        if model:
            price = (self._prices or default_prices()).lookup(model)
        if price is None:
            self._unknown_model(model or "unknown")
            return 0
        return cost_micros(usage, price)

    def _unknown_model(self, model: str) -> None:
        self._count("unknown_models")
        _warn_once(
            f"price:{model}",
            "No price for model %r: its cost is reported as 0. Pass prices= to llm_task() or "
            "load a current price file (see the LLM instrumentation docs)",
            model,
        )

    def _count(self, counter: str) -> None:
        client = self._client
        with client._lock:
            setattr(client._stats, counter, getattr(client._stats, counter) + 1)


def _warn_once(key: str, message: str, *args: object) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    logger.warning(message, *args)


@functools.lru_cache(maxsize=16)
def _uuid(value: str) -> UUID | str:
    """The config's instance_id parsed once (an invalid one is left for pydantic to name)."""
    try:
        return UUID(value)
    except (TypeError, ValueError, AttributeError):
        return value


def _report_of(wrapped: Any) -> _Report:
    """The one-time report behind a wrapper (a stream helper's wrapper reports via its stream)."""
    report = getattr(wrapped, "_report", None)
    if report is not None:
        return report  # type: ignore[no-any-return]
    return _LazyReport(wrapped)  # type: ignore[return-value]


class _LazyReport:
    """A `with` helper's stream exists only once entered: finish it if it was."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager

    def finish(self) -> None:
        stream = self._manager._stream
        if stream is not None:
            stream._report.finish()


def _is_timeout(exc: BaseException) -> bool:
    # TimeoutError, asyncio.TimeoutError (3.10), httpx.TimeoutException, the SDKs' APITimeoutError.
    return isinstance(exc, TimeoutError) or any(
        "Timeout" in cls.__name__ for cls in type(exc).__mro__
    )
