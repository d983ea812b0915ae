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

from .._generated.models import Complexity, Harness, Outcome, Provider, RepoSizeCategory
from .._models import TaskCompletionEvent, new_event_id
from ._estimates import predicted
from ._limits import MAXIMA
from ._prices import PriceTable
from ._pricing import PROVIDERS, call_cost, default_prices, resolve_provider
from ._stream import wrap_stream
from ._task_type import infer_task_type
from ._usage import LlmUsage, usage_from

if TYPE_CHECKING:
    from .._client import TelemetryClient

logger = logging.getLogger("mosaicstack_telemetry")

F = TypeVar("F", bound=Callable[..., Any])

_COMPLEXITIES = frozenset(c.value for c in Complexity)
_HARNESSES = frozenset(h.value for h in Harness)
_REPO_SIZES = frozenset(r.value for r in RepoSizeCategory)
_warned: set[str] = set()  # warnings given once per process
_warned_lock = threading.Lock()


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
        self.complexity = _checked("complexity", complexity, _COMPLEXITIES)
        self.harness = _checked("harness", harness, _HARNESSES)
        self._provider = getattr(provider, "value", provider)
        self._model = model
        self._estimated = (
            estimated_input_tokens,
            estimated_output_tokens,
            estimated_cost_usd_micros,
        )
        self._prices = prices
        if language is not None and not 0 < len(language) <= 30:
            raise ValueError(f"llm_task language={language!r}: 1 to 30 characters")
        self._language = language
        self._repo_size = (
            None
            if repo_size_category is None
            else _checked("repo_size_category", repo_size_category, _REPO_SIZES)
        )
        self.usage: LlmUsage | None = None
        self.cost_usd_micros = 0
        self.retry_count = 0
        self.outcome: Outcome | str | None = None
        self.quality_gate_passed: bool | None = None
        self._streams: list[Any] = []  # the wrappers this task made
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
            table = self._prices or default_prices()
            provider = resolve_provider(usage, self._provider, table)
            model = usage.model or self._model
            cost = call_cost(usage, provider, model, table)
            if cost is None:
                self._unknown_model(model or "unknown")
            self.cost_usd_micros += cost or 0
            if provider != usage.provider:
                usage = replace(usage, provider=provider)
            self.usage = usage if self.usage is None else self.usage + usage
        except Exception:
            logger.exception("Could not price an LLM call")

    def wrap_stream(self, stream: Any, *, provider: str | None = None) -> Any:
        """Wrap a stream (sync, async or a `with` helper); its usage is recorded when it ends."""
        chosen = provider or self._provider
        wrapped = wrap_stream(stream, self.record_usage, chosen)
        self._streams.append(wrapped)
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
        for stream in self._streams:  # streams left open (early break): what they had so far
            stream._finish_report()
        self._done = True
        try:
            self._client.track(self._event(exc, (ended - self._started) // 1_000_000))
        except Exception:
            logger.exception("Could not queue the telemetry event of an LLM task")

    def _event(self, exc: BaseException | None, duration_ms: int) -> TaskCompletionEvent:
        usage = self.usage or LlmUsage(provider=self._provider or "unknown", status="missing")
        model = usage.model or self._model or "unknown"
        provider = self._provider or usage.provider
        provider = provider if provider in PROVIDERS else "custom"
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
        for name, maximum in MAXIMA:
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
            guess = predicted(self._client, self.task_type, model, provider, self.complexity)
            tokens_in = guess[0] if tokens_in is None else tokens_in
            tokens_out = guess[1] if tokens_out is None else tokens_out
            cost = guess[2] if cost is None else cost
        return max(0, int(tokens_in)), max(0, int(tokens_out)), max(0, int(cost))

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


def _checked(option: str, value: Any, allowed: frozenset[str]) -> str:
    """An enum option's value; a bad one fails here, at llm_task(), naming the option."""
    value = getattr(value, "value", value)
    if value not in allowed:
        raise ValueError(f"llm_task {option}={value!r}: expected one of {sorted(allowed)}")
    return str(value)


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


def _is_timeout(exc: BaseException) -> bool:
    # TimeoutError, asyncio.TimeoutError (3.10), httpx.TimeoutException, the SDKs' APITimeoutError.
    return isinstance(exc, TimeoutError) or any(
        "Timeout" in cls.__name__ for cls in type(exc).__mro__
    )
