/**
 * @mosaicstack/telemetry-client: report task-completion telemetry from AI coding tools to a
 * Mosaic Telemetry server (API v1, event schema 1.0), and read crowd-sourced predictions.
 */

export { TelemetryClient, MAX_QUERIES_PER_REQUEST } from './client.js';
export type { ShutdownOptions } from './client.js';
export { DEFAULTS, MAX_BATCH_SIZE, resolveConfig, validateConfig } from './config.js';
export type { Logger, ResolvedConfig, TelemetryClientOptions } from './config.js';
export { EventBuilder, isBuilt } from './builder.js';
export type { EventInput } from './builder.js';
export { ApiError, DeadlineError, TelemetryError, ValidationError, parseRetryAfter } from './errors.js';
export { EventQueue } from './queue.js';
export { PredictionCache, cacheKey } from './cache.js';
export { Action, DROP_STATUSES, ISOLATE_STATUSES, RetryPolicy, isConnectionError, isTimeoutError } from './retry.js';
export type { Decision, RetryPolicyOptions } from './retry.js';
export { Delivery, REFUSALS_BEFORE_DROP, emptyStats } from './delivery.js';
export type {
  DeliveryOptions, DeliveryStats, FlushResult, Reply, Reporter, SendStep, Step, Steps, WaitStep,
} from './delivery.js';
export { Worker } from './worker.js';
export type { Transport } from './worker.js';
export { VERSION } from './version.js';
export {
  Complexity,
  Harness,
  Outcome,
  Provider,
  QualityGate,
  RepoSizeCategory,
  TaskType,
} from './generated/models.js';
export type {
  BatchEventRequest,
  BatchEventResponse,
  BatchEventResult,
  CorrectionFactors,
  PredictionBatchRequest,
  PredictionBatchResponse,
  PredictionData,
  PredictionMetadata,
  PredictionQuery,
  PredictionResponse,
  QualityPrediction,
  TaskCompletionEvent,
  TokenDistribution,
} from './generated/models.js';
export * as generated from './generated/index.js';
export type { ValidationIssue } from './generated/validation.js';
