# Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
# Do not edit by hand: change the spec or codegen/, then run `make generate`
# (python -m codegen generate).

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class TaskType(str, Enum):
    PLANNING = "planning"
    IMPLEMENTATION = "implementation"
    CODE_REVIEW = "code_review"
    TESTING = "testing"
    DEBUGGING = "debugging"
    REFACTORING = "refactoring"
    DOCUMENTATION = "documentation"
    CONFIGURATION = "configuration"
    SECURITY_AUDIT = "security_audit"
    UNKNOWN = "unknown"


class Complexity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Harness(str, Enum):
    CLAUDE_CODE = "claude_code"
    OPENCODE = "opencode"
    KILO_CODE = "kilo_code"
    AIDER = "aider"
    API_DIRECT = "api_direct"
    OLLAMA_LOCAL = "ollama_local"
    CUSTOM = "custom"
    UNKNOWN = "unknown"


class Provider(str, Enum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OPENROUTER = "openrouter"
    OLLAMA = "ollama"
    GOOGLE = "google"
    MISTRAL = "mistral"
    CUSTOM = "custom"
    UNKNOWN = "unknown"


class Outcome(str, Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    PARTIAL = "partial"
    TIMEOUT = "timeout"


class QualityGate(str, Enum):
    BUILD = "build"
    LINT = "lint"
    TEST = "test"
    COVERAGE = "coverage"
    TYPECHECK = "typecheck"
    SECURITY = "security"


class RepoSizeCategory(str, Enum):
    TINY = "tiny"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    HUGE = "huge"


class TaskCompletionEvent(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        defer_build=True,
    )
    instance_id: Annotated[UUID, Field(description="Mosaic Stack installation identifier.")]
    event_id: Annotated[
        UUID, Field(description="Unique event identifier; clients generate a UUIDv4.")
    ]
    schema_version: Annotated[Literal["1.0"], Field(description="Event schema version.")] = "1.0"
    timestamp: Annotated[
        AwareDatetime, Field(description="When the task completed, with a UTC offset.")
    ]
    task_duration_ms: Annotated[
        int,
        Field(description="Task wall-clock time in milliseconds.", ge=0, le=86400000),
    ]
    task_type: TaskType
    complexity: Complexity
    harness: Harness
    model: Annotated[str, Field(description="Model identifier.", max_length=100, min_length=1)]
    provider: Provider
    estimated_input_tokens: Annotated[
        int, Field(description="Pre-task input token estimate.", ge=0, le=10000000)
    ]
    estimated_output_tokens: Annotated[
        int, Field(description="Pre-task output token estimate.", ge=0, le=10000000)
    ]
    actual_input_tokens: Annotated[
        int, Field(description="Actual input tokens consumed.", ge=0, le=10000000)
    ]
    actual_output_tokens: Annotated[
        int, Field(description="Actual output tokens generated.", ge=0, le=10000000)
    ]
    estimated_cost_usd_micros: Annotated[
        int,
        Field(
            description="Estimated cost in microdollars (1 USD = 1,000,000).",
            ge=0,
            le=100000000,
        ),
    ]
    actual_cost_usd_micros: Annotated[
        int,
        Field(
            description="Actual cost in microdollars (1 USD = 1,000,000).",
            ge=0,
            le=100000000,
        ),
    ]
    quality_gate_passed: Annotated[bool, Field(description="Whether all quality gates passed.")]
    quality_gates_run: Annotated[list[QualityGate], Field(description="Gates executed.")] = []
    quality_gates_failed: Annotated[list[QualityGate], Field(description="Gates that failed.")] = []
    context_compactions: Annotated[
        int,
        Field(description="Context compaction events during the task.", ge=0, le=100),
    ]
    context_rotations: Annotated[
        int, Field(description="Agent session rotations during the task.", ge=0, le=50)
    ]
    context_utilization_final: Annotated[
        float, Field(description="Final context usage ratio.", ge=0.0, le=1.0)
    ]
    outcome: Outcome
    retry_count: Annotated[int, Field(description="Retries before the final outcome.", ge=0, le=20)]
    language: Annotated[
        str | None, Field(description="Primary programming language.", max_length=30)
    ] = None
    repo_size_category: Annotated[
        RepoSizeCategory | None, Field(description="Repository size bucket.")
    ] = None


class BatchEventRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        defer_build=True,
    )
    events: Annotated[
        list[TaskCompletionEvent],
        Field(description="Events to submit (1 to 100).", max_length=100, min_length=1),
    ]


class BatchEventResult(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    event_id: Annotated[UUID, Field(description="The event's unique identifier.")]
    status: Annotated[
        str,
        Field(description="`accepted` or `rejected`.", examples=["accepted", "rejected"]),
    ]
    error: Annotated[
        str | None,
        Field(
            description="Why the event was rejected; starts with `duplicate` for an already stored event_id."
        ),
    ] = None


class BatchEventResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    accepted: Annotated[int, Field(description="Count of accepted events.", ge=0)]
    rejected: Annotated[int, Field(description="Count of rejected events.", ge=0)]
    results: Annotated[
        list[BatchEventResult],
        Field(description="Per-event results, in request order."),
    ]


class PredictionQuery(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        defer_build=True,
    )
    task_type: TaskType
    model: Annotated[str, Field(description="Model identifier.", max_length=100, min_length=1)]
    provider: Provider
    complexity: Complexity


class PredictionBatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        defer_build=True,
    )
    queries: Annotated[
        list[PredictionQuery],
        Field(description="Queries to answer (1 to 50).", max_length=50, min_length=1),
    ]


class TokenDistribution(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    p10: Annotated[int, Field(description="10th percentile.")]
    p25: Annotated[int, Field(description="25th percentile.")]
    median: Annotated[int, Field(description="50th percentile (median).")]
    p75: Annotated[int, Field(description="75th percentile.")]
    p90: Annotated[int, Field(description="90th percentile.")]


class CorrectionFactors(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    input: Annotated[float, Field(description="Ratio of actual to estimated input tokens.")]
    output: Annotated[float, Field(description="Ratio of actual to estimated output tokens.")]


class QualityPrediction(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    gate_pass_rate: Annotated[
        float, Field(description="Fraction of tasks where all quality gates passed.")
    ]
    success_rate: Annotated[float, Field(description="Fraction of tasks with `outcome: success`.")]


class PredictionData(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    input_tokens: TokenDistribution
    output_tokens: TokenDistribution
    cost_usd_micros: Annotated[
        dict[str, int],
        Field(description='`{"median": <int>}`: median cost in microdollars.'),
    ]
    duration_ms: Annotated[
        dict[str, int],
        Field(description='`{"median": <int>}`: median duration in milliseconds.'),
    ]
    correction_factors: CorrectionFactors
    quality: QualityPrediction


class PredictionMetadata(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    sample_size: Annotated[
        int, Field(description="Number of events used to compute the prediction.", ge=0)
    ]
    fallback_level: Annotated[
        int,
        Field(description="0 = exact match, 1+ = dimensions dropped, -1 = no data.", ge=-1),
    ]
    confidence: Annotated[
        str,
        Field(
            description="`high`, `medium`, `low` or `none`.",
            examples=["high", "medium", "low", "none"],
        ),
    ]
    last_updated: Annotated[
        AwareDatetime | None,
        Field(description="When the prediction was last computed."),
    ] = None
    dimensions_matched: Annotated[
        dict[str, str | None] | None,
        Field(
            description="Which dimensions matched; a null value marks a dimension dropped by fallback."
        ),
    ] = None
    fallback_note: Annotated[
        str | None, Field(description="Explanation when fallback was used.")
    ] = None
    cache_hit: Annotated[
        bool,
        Field(description="Whether the server served the prediction from its cache."),
    ] = False


class PredictionResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    prediction: Annotated[
        PredictionData | None,
        Field(description="Prediction data, or null when no data is available."),
    ]
    metadata: PredictionMetadata


class PredictionBatchResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    results: Annotated[
        list[PredictionResponse],
        Field(description="One result per query, in query order."),
    ]


class ErrorResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    detail: Annotated[str, Field(description="What went wrong.")]


class ValidationErrorDetail(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    loc: Annotated[list[str | int], Field(description="Path to the offending field.")]
    msg: Annotated[str, Field(description="Why the value is invalid.")]
    type: Annotated[str, Field(description="Machine-readable error type.")]


class ValidationErrorResponse(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        defer_build=True,
    )
    detail: Annotated[
        list[ValidationErrorDetail], Field(description="One entry per invalid field.")
    ]
