// Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/**
 * Types for Mosaic Telemetry API 1.0.0: every enum and every request/response schema, with
 * the spec's snake_case field names. Enums are `as const` objects plus a type of the same name, so
 * both `TaskType.IMPLEMENTATION` and the literal `'implementation'` type-check.
 */

/** Type of work performed. */
export const TaskType = {
  PLANNING: 'planning',
  IMPLEMENTATION: 'implementation',
  CODE_REVIEW: 'code_review',
  TESTING: 'testing',
  DEBUGGING: 'debugging',
  REFACTORING: 'refactoring',
  DOCUMENTATION: 'documentation',
  CONFIGURATION: 'configuration',
  SECURITY_AUDIT: 'security_audit',
  UNKNOWN: 'unknown',
} as const;
export type TaskType = (typeof TaskType)[keyof typeof TaskType];

/** Task complexity level. */
export const Complexity = {
  LOW: 'low',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
} as const;
export type Complexity = (typeof Complexity)[keyof typeof Complexity];

/** Coding tool or execution environment that ran the task. */
export const Harness = {
  CLAUDE_CODE: 'claude_code',
  OPENCODE: 'opencode',
  KILO_CODE: 'kilo_code',
  AIDER: 'aider',
  API_DIRECT: 'api_direct',
  OLLAMA_LOCAL: 'ollama_local',
  CUSTOM: 'custom',
  UNKNOWN: 'unknown',
} as const;
export type Harness = (typeof Harness)[keyof typeof Harness];

/** LLM provider. */
export const Provider = {
  ANTHROPIC: 'anthropic',
  OPENAI: 'openai',
  OPENROUTER: 'openrouter',
  OLLAMA: 'ollama',
  GOOGLE: 'google',
  MISTRAL: 'mistral',
  CUSTOM: 'custom',
  UNKNOWN: 'unknown',
} as const;
export type Provider = (typeof Provider)[keyof typeof Provider];

/** Final task result. */
export const Outcome = {
  SUCCESS: 'success',
  FAILURE: 'failure',
  PARTIAL: 'partial',
  TIMEOUT: 'timeout',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** A quality gate a task can run. */
export const QualityGate = {
  BUILD: 'build',
  LINT: 'lint',
  TEST: 'test',
  COVERAGE: 'coverage',
  TYPECHECK: 'typecheck',
  SECURITY: 'security',
} as const;
export type QualityGate = (typeof QualityGate)[keyof typeof QualityGate];

/** Repository size bucket (approximate lines of code). */
export const RepoSizeCategory = {
  TINY: 'tiny',
  SMALL: 'small',
  MEDIUM: 'medium',
  LARGE: 'large',
  HUGE: 'huge',
} as const;
export type RepoSizeCategory = (typeof RepoSizeCategory)[keyof typeof RepoSizeCategory];

/** One completed AI coding task (event schema 1.0). */
export interface TaskCompletionEvent {
  /** Mosaic Stack installation identifier. */
  instance_id: string;
  /** Unique event identifier; clients generate a UUIDv4. */
  event_id: string;
  /** Event schema version. Default: `"1.0"`. */
  schema_version?: '1.0';
  /** When the task completed, with a UTC offset. */
  timestamp: string;
  /** Task wall-clock time in milliseconds. */
  task_duration_ms: number;
  task_type: TaskType;
  complexity: Complexity;
  harness: Harness;
  /** Model identifier. */
  model: string;
  provider: Provider;
  /** Pre-task input token estimate. */
  estimated_input_tokens: number;
  /** Pre-task output token estimate. */
  estimated_output_tokens: number;
  /** Actual input tokens consumed. */
  actual_input_tokens: number;
  /** Actual output tokens generated. */
  actual_output_tokens: number;
  /** Estimated cost in microdollars (1 USD = 1,000,000). */
  estimated_cost_usd_micros: number;
  /** Actual cost in microdollars (1 USD = 1,000,000). */
  actual_cost_usd_micros: number;
  /** Whether all quality gates passed. */
  quality_gate_passed: boolean;
  /** Gates executed. Default: `[]`. */
  quality_gates_run?: QualityGate[];
  /** Gates that failed. Default: `[]`. */
  quality_gates_failed?: QualityGate[];
  /** Context compaction events during the task. */
  context_compactions: number;
  /** Agent session rotations during the task. */
  context_rotations: number;
  /** Final context usage ratio. */
  context_utilization_final: number;
  outcome: Outcome;
  /** Retries before the final outcome. */
  retry_count: number;
  /** Primary programming language. Default: `null`. */
  language?: string | null;
  /** Repository size bucket. Default: `null`. */
  repo_size_category?: RepoSizeCategory | null;
}

/** Request body of `POST /v1/events/batch`. */
export interface BatchEventRequest {
  /** Events to submit (1 to 100). */
  events: TaskCompletionEvent[];
}

/** The outcome for one event of a batch. */
export interface BatchEventResult {
  /** The event's unique identifier. */
  event_id: string;
  /** `accepted` or `rejected`. */
  status: string;
  /** Why the event was rejected; starts with `duplicate` for an already stored event_id. Default: `null`. */
  error?: string | null;
}

/** Response of `POST /v1/events/batch`. */
export interface BatchEventResponse {
  /** Count of accepted events. */
  accepted: number;
  /** Count of rejected events. */
  rejected: number;
  /** Per-event results, in request order. */
  results: BatchEventResult[];
}

/** The four dimensions a prediction is computed for. */
export interface PredictionQuery {
  task_type: TaskType;
  /** Model identifier. */
  model: string;
  provider: Provider;
  complexity: Complexity;
}

/** Request body of `POST /v1/predictions/batch`. */
export interface PredictionBatchRequest {
  /** Queries to answer (1 to 50). */
  queries: PredictionQuery[];
}

/** Percentiles of a token count. */
export interface TokenDistribution {
  /** 10th percentile. */
  p10: number;
  /** 25th percentile. */
  p25: number;
  /** 50th percentile (median). */
  median: number;
  /** 75th percentile. */
  p75: number;
  /** 90th percentile. */
  p90: number;
}

/** Ratios of actual to estimated tokens (>1.0 means estimates were too low). */
export interface CorrectionFactors {
  /** Ratio of actual to estimated input tokens. */
  input: number;
  /** Ratio of actual to estimated output tokens. */
  output: number;
}

/** Predicted quality rates. */
export interface QualityPrediction {
  /** Fraction of tasks where all quality gates passed. */
  gate_pass_rate: number;
  /** Fraction of tasks with `outcome: success`. */
  success_rate: number;
}

/** Predicted token, cost, duration and quality figures. */
export interface PredictionData {
  input_tokens: TokenDistribution;
  output_tokens: TokenDistribution;
  /** `{"median": <int>}`: median cost in microdollars. */
  cost_usd_micros: Record<string, number>;
  /** `{"median": <int>}`: median duration in milliseconds. */
  duration_ms: Record<string, number>;
  correction_factors: CorrectionFactors;
  quality: QualityPrediction;
}

/** How a prediction was generated. */
export interface PredictionMetadata {
  /** Number of events used to compute the prediction. */
  sample_size: number;
  /** 0 = exact match, 1+ = dimensions dropped, -1 = no data. */
  fallback_level: number;
  /** `high`, `medium`, `low` or `none`. */
  confidence: string;
  /** When the prediction was last computed. Default: `null`. */
  last_updated?: string | null;
  /** Which dimensions matched; a null value marks a dimension dropped by fallback. Default: `null`. */
  dimensions_matched?: Record<string, string | null> | null;
  /** Explanation when fallback was used. Default: `null`. */
  fallback_note?: string | null;
  /** Whether the server served the prediction from its cache. Default: `false`. */
  cache_hit?: boolean;
}

/** The prediction for one query. */
export interface PredictionResponse {
  /** Prediction data, or null when no data is available. */
  prediction: PredictionData | null;
  metadata: PredictionMetadata;
}

/** Response of `POST /v1/predictions/batch`. */
export interface PredictionBatchResponse {
  /** One result per query, in query order. */
  results: PredictionResponse[];
}

/** An error body. */
export interface ErrorResponse {
  /** What went wrong. */
  detail: string;
}

/** One validation problem. */
export interface ValidationErrorDetail {
  /** Path to the offending field. */
  loc: (string | number)[];
  /** Why the value is invalid. */
  msg: string;
  /** Machine-readable error type. */
  type: string;
}

/** Body of a 422 response. */
export interface ValidationErrorResponse {
  /** One entry per invalid field. */
  detail: ValidationErrorDetail[];
}
