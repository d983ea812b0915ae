// Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/**
 * Endpoint stubs for Mosaic Telemetry API 1.0.0: one function per operation. Each POSTs
 * the request body as JSON, returns the parsed and validated response on any 2xx, and throws
 * `ApiError` (status, parsed `Retry-After`, body) on anything else. Request bodies are sent as
 * given: validate them first (schemas.ts).
 */

import { ApiError } from '../errors.js';
import type {
  BatchEventRequest,
  BatchEventResponse,
  PredictionBatchRequest,
  PredictionBatchResponse,
} from './models.js';
import {
  validateBatchEventResponse,
  validatePredictionBatchResponse,
} from './schemas.js';
import type { ValidationIssue } from './validation.js';

/** Where and how to send a request. */
export interface RequestOptions {
  /** Base URL of the server, without a trailing slash. */
  baseUrl: string;
  /** Extra headers (Authorization, User-Agent). */
  headers?: Record<string, string>;
  /** Aborts the request, including reading the response body. */
  signal?: AbortSignal;
}

export const SUBMIT_EVENTS_BATCH_PATH = '/v1/events/batch';

export const GET_PREDICTIONS_BATCH_PATH = '/v1/predictions/batch';

async function call<T>(
  options: RequestOptions,
  method: string,
  path: string,
  body: unknown,
  validate: (value: unknown) => ValidationIssue[],
  schemaName: string,
): Promise<T> {
  const response = await fetch(options.baseUrl + path, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal,
  });
  const text = await response.text();
  // Any 2xx is success, not only the status the spec names: servers differ (200 vs 202).
  if (!response.ok) {
    throw ApiError.fromResponse(response.status, response.statusText, response.headers.get('Retry-After'), text);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, `response body is not a valid ${schemaName}: not JSON`, { body: text });
  }
  const issues = validate(parsed);
  if (issues.length > 0) {
    throw new ApiError(
      response.status,
      `response body is not a valid ${schemaName}: ${issues.length} error(s)`,
      { body: text },
    );
  }
  return parsed as T;
}

/** Submit a batch of task-completion events (POST /v1/events/batch, 202 on success). */
export function submitEventsBatch(
  options: RequestOptions,
  body: BatchEventRequest,
): Promise<BatchEventResponse> {
  return call<BatchEventResponse>(
    options,
    'POST',
    SUBMIT_EVENTS_BATCH_PATH,
    body,
    validateBatchEventResponse,
    'BatchEventResponse',
  );
}

/** Fetch predictions for a batch of queries (POST /v1/predictions/batch, 200 on success). */
export function getPredictionsBatch(
  options: RequestOptions,
  body: PredictionBatchRequest,
): Promise<PredictionBatchResponse> {
  return call<PredictionBatchResponse>(
    options,
    'POST',
    GET_PREDICTIONS_BATCH_PATH,
    body,
    validatePredictionBatchResponse,
    'PredictionBatchResponse',
  );
}
