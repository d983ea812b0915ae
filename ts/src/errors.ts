/** Errors, and the parsing of the Retry-After header that ApiError carries. */

import type { ValidationIssue } from './generated/validation.js';

/** Base class of the errors this SDK reports (to `onError`) or throws (`build()`). */
export class TelemetryError extends Error {
  override name = 'TelemetryError';
}

/**
 * Milliseconds to wait from a Retry-After value (delay-seconds or HTTP date); null if unusable.
 * Delay-seconds are digits only (RFC 9110), as in the Python client: a fraction, a sign or an
 * exponent is as unusable as any other junk, so the backoff applies instead.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date must name its zone (GMT); Date.parse alone would read a zoneless one as local.
  if (!/\b(GMT|UTC|[+-]\d{4})\s*$/i.test(text)) return null;
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(0, when - now);
}

/** A non-2xx (or unparseable) response from the Telemetry API. */
export class ApiError extends TelemetryError {
  override name = 'ApiError';
  /** The HTTP status code. */
  readonly status: number;
  /** The server's reason: its `detail`, or the status text. */
  readonly detail: string;
  /** The parsed `Retry-After` header in milliseconds, or null when absent or unusable. */
  readonly retryAfterMs: number | null;
  /** The response body as text. */
  readonly body: string;

  constructor(status: number, detail: string, options: { retryAfterMs?: number | null; body?: string } = {}) {
    super(`HTTP ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.body = options.body ?? '';
  }

  /** Build from a response's parts: status, reason, Retry-After and body (its `detail` if any). */
  static fromResponse(status: number, statusText: string, retryAfter: string | null, body: string): ApiError {
    const detail = detailOf(body) ?? (statusText || 'error');
    return new ApiError(status, detail, { retryAfterMs: parseRetryAfter(retryAfter), body });
  }
}

function detailOf(body: string): string | null {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || !('detail' in data)) return null;
  const detail = (data as { detail: unknown }).detail;
  if (Array.isArray(detail)) return detail.map(describeItem).join('; ');
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

function describeItem(item: unknown): string {
  if (typeof item === 'object' && item !== null) {
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    const where = Array.isArray(loc) ? loc.map(String).join('.') : '';
    return where ? `${where}: ${String(msg ?? '')}` : String(msg ?? JSON.stringify(item));
  }
  return String(item);
}

/** An event (or query) that does not match the schema; `issues` names each field and why. */
export class ValidationError extends TelemetryError {
  override name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[]) {
    const listed = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    super(`invalid ${what}: ${listed}`);
    this.issues = issues;
  }
}

/** The request was abandoned because the shutdown deadline passed while it was in flight. */
export class DeadlineError extends TelemetryError {
  override name = 'DeadlineError';
}
