// Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/**
 * Runtime validators for Mosaic Telemetry API 1.0.0, made from the spec's constraints
 * (ranges, lengths, enums, uuid, date-time, array bounds; request bodies reject unknown fields).
 */

import {
  TaskType,
  Complexity,
  Harness,
  Provider,
  Outcome,
  QualityGate,
  RepoSizeCategory,
} from './models.js';
import type {
  TaskCompletionEvent as TaskCompletionEventType,
  BatchEventRequest as BatchEventRequestType,
  BatchEventResult as BatchEventResultType,
  BatchEventResponse as BatchEventResponseType,
  PredictionQuery as PredictionQueryType,
  PredictionBatchRequest as PredictionBatchRequestType,
  TokenDistribution as TokenDistributionType,
  CorrectionFactors as CorrectionFactorsType,
  QualityPrediction as QualityPredictionType,
  PredictionData as PredictionDataType,
  PredictionMetadata as PredictionMetadataType,
  PredictionResponse as PredictionResponseType,
  PredictionBatchResponse as PredictionBatchResponseType,
  ErrorResponse as ErrorResponseType,
  ValidationErrorDetail as ValidationErrorDetailType,
  ValidationErrorResponse as ValidationErrorResponseType,
} from './models.js';
import { validateModel } from './validation.js';
import type { ModelSchema, ValidationIssue } from './validation.js';

/** One completed AI coding task (event schema 1.0). */
export const TaskCompletionEventSchema: ModelSchema = {
  name: 'TaskCompletionEvent',
  closed: true,
  fields: {
    instance_id: { type: { kind: 'string', format: 'uuid' }, required: true },
    event_id: { type: { kind: 'string', format: 'uuid' }, required: true },
    schema_version: { type: { kind: 'string', const: '1.0' }, required: false },
    timestamp: { type: { kind: 'string', format: 'date-time' }, required: true },
    task_duration_ms: { type: { kind: 'integer', minimum: 0, maximum: 86400000 }, required: true },
    task_type: { type: { kind: 'enum', name: 'TaskType', values: Object.values(TaskType) }, required: true },
    complexity: { type: { kind: 'enum', name: 'Complexity', values: Object.values(Complexity) }, required: true },
    harness: { type: { kind: 'enum', name: 'Harness', values: Object.values(Harness) }, required: true },
    model: { type: { kind: 'string', minLength: 1, maxLength: 100 }, required: true },
    provider: { type: { kind: 'enum', name: 'Provider', values: Object.values(Provider) }, required: true },
    estimated_input_tokens: { type: { kind: 'integer', minimum: 0, maximum: 10000000 }, required: true },
    estimated_output_tokens: { type: { kind: 'integer', minimum: 0, maximum: 10000000 }, required: true },
    actual_input_tokens: { type: { kind: 'integer', minimum: 0, maximum: 10000000 }, required: true },
    actual_output_tokens: { type: { kind: 'integer', minimum: 0, maximum: 10000000 }, required: true },
    estimated_cost_usd_micros: { type: { kind: 'integer', minimum: 0, maximum: 100000000 }, required: true },
    actual_cost_usd_micros: { type: { kind: 'integer', minimum: 0, maximum: 100000000 }, required: true },
    quality_gate_passed: { type: { kind: 'boolean' }, required: true },
    quality_gates_run: { type: { kind: 'array', items: { kind: 'enum', name: 'QualityGate', values: Object.values(QualityGate) } }, required: false },
    quality_gates_failed: { type: { kind: 'array', items: { kind: 'enum', name: 'QualityGate', values: Object.values(QualityGate) } }, required: false },
    context_compactions: { type: { kind: 'integer', minimum: 0, maximum: 100 }, required: true },
    context_rotations: { type: { kind: 'integer', minimum: 0, maximum: 50 }, required: true },
    context_utilization_final: { type: { kind: 'number', minimum: 0, maximum: 1 }, required: true },
    outcome: { type: { kind: 'enum', name: 'Outcome', values: Object.values(Outcome) }, required: true },
    retry_count: { type: { kind: 'integer', minimum: 0, maximum: 20 }, required: true },
    language: { type: { kind: 'string', nullable: true, maxLength: 30 }, required: false },
    repo_size_category: { type: { kind: 'enum', nullable: true, name: 'RepoSizeCategory', values: Object.values(RepoSizeCategory) }, required: false },
  },
};

/** The problems that keep `value` from being a valid TaskCompletionEvent; empty when it is one. */
export function validateTaskCompletionEvent(value: unknown): ValidationIssue[] {
  return validateModel(TaskCompletionEventSchema, value);
}

/** Whether `value` is a valid TaskCompletionEvent. */
export function isTaskCompletionEvent(value: unknown): value is TaskCompletionEventType {
  return validateModel(TaskCompletionEventSchema, value).length === 0;
}

/** Request body of `POST /v1/events/batch`. */
export const BatchEventRequestSchema: ModelSchema = {
  name: 'BatchEventRequest',
  closed: true,
  fields: {
    events: { type: { kind: 'array', items: { kind: 'model', model: () => TaskCompletionEventSchema }, minItems: 1, maxItems: 100 }, required: true },
  },
};

/** The problems that keep `value` from being a valid BatchEventRequest; empty when it is one. */
export function validateBatchEventRequest(value: unknown): ValidationIssue[] {
  return validateModel(BatchEventRequestSchema, value);
}

/** Whether `value` is a valid BatchEventRequest. */
export function isBatchEventRequest(value: unknown): value is BatchEventRequestType {
  return validateModel(BatchEventRequestSchema, value).length === 0;
}

/** The outcome for one event of a batch. */
export const BatchEventResultSchema: ModelSchema = {
  name: 'BatchEventResult',
  closed: false,
  fields: {
    event_id: { type: { kind: 'string', format: 'uuid' }, required: true },
    status: { type: { kind: 'string' }, required: true },
    error: { type: { kind: 'string', nullable: true }, required: false },
  },
};

/** The problems that keep `value` from being a valid BatchEventResult; empty when it is one. */
export function validateBatchEventResult(value: unknown): ValidationIssue[] {
  return validateModel(BatchEventResultSchema, value);
}

/** Whether `value` is a valid BatchEventResult. */
export function isBatchEventResult(value: unknown): value is BatchEventResultType {
  return validateModel(BatchEventResultSchema, value).length === 0;
}

/** Response of `POST /v1/events/batch`. */
export const BatchEventResponseSchema: ModelSchema = {
  name: 'BatchEventResponse',
  closed: false,
  fields: {
    accepted: { type: { kind: 'integer', minimum: 0 }, required: true },
    rejected: { type: { kind: 'integer', minimum: 0 }, required: true },
    results: { type: { kind: 'array', items: { kind: 'model', model: () => BatchEventResultSchema } }, required: true },
  },
};

/** The problems that keep `value` from being a valid BatchEventResponse; empty when it is one. */
export function validateBatchEventResponse(value: unknown): ValidationIssue[] {
  return validateModel(BatchEventResponseSchema, value);
}

/** Whether `value` is a valid BatchEventResponse. */
export function isBatchEventResponse(value: unknown): value is BatchEventResponseType {
  return validateModel(BatchEventResponseSchema, value).length === 0;
}

/** The four dimensions a prediction is computed for. */
export const PredictionQuerySchema: ModelSchema = {
  name: 'PredictionQuery',
  closed: true,
  fields: {
    task_type: { type: { kind: 'enum', name: 'TaskType', values: Object.values(TaskType) }, required: true },
    model: { type: { kind: 'string', minLength: 1, maxLength: 100 }, required: true },
    provider: { type: { kind: 'enum', name: 'Provider', values: Object.values(Provider) }, required: true },
    complexity: { type: { kind: 'enum', name: 'Complexity', values: Object.values(Complexity) }, required: true },
  },
};

/** The problems that keep `value` from being a valid PredictionQuery; empty when it is one. */
export function validatePredictionQuery(value: unknown): ValidationIssue[] {
  return validateModel(PredictionQuerySchema, value);
}

/** Whether `value` is a valid PredictionQuery. */
export function isPredictionQuery(value: unknown): value is PredictionQueryType {
  return validateModel(PredictionQuerySchema, value).length === 0;
}

/** Request body of `POST /v1/predictions/batch`. */
export const PredictionBatchRequestSchema: ModelSchema = {
  name: 'PredictionBatchRequest',
  closed: true,
  fields: {
    queries: { type: { kind: 'array', items: { kind: 'model', model: () => PredictionQuerySchema }, minItems: 1, maxItems: 50 }, required: true },
  },
};

/** The problems that keep `value` from being a valid PredictionBatchRequest; empty when it is one. */
export function validatePredictionBatchRequest(value: unknown): ValidationIssue[] {
  return validateModel(PredictionBatchRequestSchema, value);
}

/** Whether `value` is a valid PredictionBatchRequest. */
export function isPredictionBatchRequest(value: unknown): value is PredictionBatchRequestType {
  return validateModel(PredictionBatchRequestSchema, value).length === 0;
}

/** Percentiles of a token count. */
export const TokenDistributionSchema: ModelSchema = {
  name: 'TokenDistribution',
  closed: false,
  fields: {
    p10: { type: { kind: 'integer' }, required: true },
    p25: { type: { kind: 'integer' }, required: true },
    median: { type: { kind: 'integer' }, required: true },
    p75: { type: { kind: 'integer' }, required: true },
    p90: { type: { kind: 'integer' }, required: true },
  },
};

/** The problems that keep `value` from being a valid TokenDistribution; empty when it is one. */
export function validateTokenDistribution(value: unknown): ValidationIssue[] {
  return validateModel(TokenDistributionSchema, value);
}

/** Whether `value` is a valid TokenDistribution. */
export function isTokenDistribution(value: unknown): value is TokenDistributionType {
  return validateModel(TokenDistributionSchema, value).length === 0;
}

/** Ratios of actual to estimated tokens (>1.0 means estimates were too low). */
export const CorrectionFactorsSchema: ModelSchema = {
  name: 'CorrectionFactors',
  closed: false,
  fields: {
    input: { type: { kind: 'number' }, required: true },
    output: { type: { kind: 'number' }, required: true },
  },
};

/** The problems that keep `value` from being a valid CorrectionFactors; empty when it is one. */
export function validateCorrectionFactors(value: unknown): ValidationIssue[] {
  return validateModel(CorrectionFactorsSchema, value);
}

/** Whether `value` is a valid CorrectionFactors. */
export function isCorrectionFactors(value: unknown): value is CorrectionFactorsType {
  return validateModel(CorrectionFactorsSchema, value).length === 0;
}

/** Predicted quality rates. */
export const QualityPredictionSchema: ModelSchema = {
  name: 'QualityPrediction',
  closed: false,
  fields: {
    gate_pass_rate: { type: { kind: 'number' }, required: true },
    success_rate: { type: { kind: 'number' }, required: true },
  },
};

/** The problems that keep `value` from being a valid QualityPrediction; empty when it is one. */
export function validateQualityPrediction(value: unknown): ValidationIssue[] {
  return validateModel(QualityPredictionSchema, value);
}

/** Whether `value` is a valid QualityPrediction. */
export function isQualityPrediction(value: unknown): value is QualityPredictionType {
  return validateModel(QualityPredictionSchema, value).length === 0;
}

/** Predicted token, cost, duration and quality figures. */
export const PredictionDataSchema: ModelSchema = {
  name: 'PredictionData',
  closed: false,
  fields: {
    input_tokens: { type: { kind: 'model', model: () => TokenDistributionSchema }, required: true },
    output_tokens: { type: { kind: 'model', model: () => TokenDistributionSchema }, required: true },
    cost_usd_micros: { type: { kind: 'map', values: { kind: 'integer' } }, required: true },
    duration_ms: { type: { kind: 'map', values: { kind: 'integer' } }, required: true },
    correction_factors: { type: { kind: 'model', model: () => CorrectionFactorsSchema }, required: true },
    quality: { type: { kind: 'model', model: () => QualityPredictionSchema }, required: true },
  },
};

/** The problems that keep `value` from being a valid PredictionData; empty when it is one. */
export function validatePredictionData(value: unknown): ValidationIssue[] {
  return validateModel(PredictionDataSchema, value);
}

/** Whether `value` is a valid PredictionData. */
export function isPredictionData(value: unknown): value is PredictionDataType {
  return validateModel(PredictionDataSchema, value).length === 0;
}

/** How a prediction was generated. */
export const PredictionMetadataSchema: ModelSchema = {
  name: 'PredictionMetadata',
  closed: false,
  fields: {
    sample_size: { type: { kind: 'integer', minimum: 0 }, required: true },
    fallback_level: { type: { kind: 'integer', minimum: -1 }, required: true },
    confidence: { type: { kind: 'string' }, required: true },
    last_updated: { type: { kind: 'string', nullable: true, format: 'date-time' }, required: false },
    dimensions_matched: { type: { kind: 'map', nullable: true, values: { kind: 'string', nullable: true } }, required: false },
    fallback_note: { type: { kind: 'string', nullable: true }, required: false },
    cache_hit: { type: { kind: 'boolean' }, required: false },
  },
};

/** The problems that keep `value` from being a valid PredictionMetadata; empty when it is one. */
export function validatePredictionMetadata(value: unknown): ValidationIssue[] {
  return validateModel(PredictionMetadataSchema, value);
}

/** Whether `value` is a valid PredictionMetadata. */
export function isPredictionMetadata(value: unknown): value is PredictionMetadataType {
  return validateModel(PredictionMetadataSchema, value).length === 0;
}

/** The prediction for one query. */
export const PredictionResponseSchema: ModelSchema = {
  name: 'PredictionResponse',
  closed: false,
  fields: {
    prediction: { type: { kind: 'model', nullable: true, model: () => PredictionDataSchema }, required: true },
    metadata: { type: { kind: 'model', model: () => PredictionMetadataSchema }, required: true },
  },
};

/** The problems that keep `value` from being a valid PredictionResponse; empty when it is one. */
export function validatePredictionResponse(value: unknown): ValidationIssue[] {
  return validateModel(PredictionResponseSchema, value);
}

/** Whether `value` is a valid PredictionResponse. */
export function isPredictionResponse(value: unknown): value is PredictionResponseType {
  return validateModel(PredictionResponseSchema, value).length === 0;
}

/** Response of `POST /v1/predictions/batch`. */
export const PredictionBatchResponseSchema: ModelSchema = {
  name: 'PredictionBatchResponse',
  closed: false,
  fields: {
    results: { type: { kind: 'array', items: { kind: 'model', model: () => PredictionResponseSchema } }, required: true },
  },
};

/** The problems that keep `value` from being a valid PredictionBatchResponse; empty when it is one. */
export function validatePredictionBatchResponse(value: unknown): ValidationIssue[] {
  return validateModel(PredictionBatchResponseSchema, value);
}

/** Whether `value` is a valid PredictionBatchResponse. */
export function isPredictionBatchResponse(value: unknown): value is PredictionBatchResponseType {
  return validateModel(PredictionBatchResponseSchema, value).length === 0;
}

/** An error body. */
export const ErrorResponseSchema: ModelSchema = {
  name: 'ErrorResponse',
  closed: false,
  fields: {
    detail: { type: { kind: 'string' }, required: true },
  },
};

/** The problems that keep `value` from being a valid ErrorResponse; empty when it is one. */
export function validateErrorResponse(value: unknown): ValidationIssue[] {
  return validateModel(ErrorResponseSchema, value);
}

/** Whether `value` is a valid ErrorResponse. */
export function isErrorResponse(value: unknown): value is ErrorResponseType {
  return validateModel(ErrorResponseSchema, value).length === 0;
}

/** One validation problem. */
export const ValidationErrorDetailSchema: ModelSchema = {
  name: 'ValidationErrorDetail',
  closed: false,
  fields: {
    loc: { type: { kind: 'array', items: { kind: 'union', variants: [{ kind: 'string' }, { kind: 'integer' }] } }, required: true },
    msg: { type: { kind: 'string' }, required: true },
    type: { type: { kind: 'string' }, required: true },
  },
};

/** The problems that keep `value` from being a valid ValidationErrorDetail; empty when it is one. */
export function validateValidationErrorDetail(value: unknown): ValidationIssue[] {
  return validateModel(ValidationErrorDetailSchema, value);
}

/** Whether `value` is a valid ValidationErrorDetail. */
export function isValidationErrorDetail(value: unknown): value is ValidationErrorDetailType {
  return validateModel(ValidationErrorDetailSchema, value).length === 0;
}

/** Body of a 422 response. */
export const ValidationErrorResponseSchema: ModelSchema = {
  name: 'ValidationErrorResponse',
  closed: false,
  fields: {
    detail: { type: { kind: 'array', items: { kind: 'model', model: () => ValidationErrorDetailSchema } }, required: true },
  },
};

/** The problems that keep `value` from being a valid ValidationErrorResponse; empty when it is one. */
export function validateValidationErrorResponse(value: unknown): ValidationIssue[] {
  return validateModel(ValidationErrorResponseSchema, value);
}

/** Whether `value` is a valid ValidationErrorResponse. */
export function isValidationErrorResponse(value: unknown): value is ValidationErrorResponseType {
  return validateModel(ValidationErrorResponseSchema, value).length === 0;
}
