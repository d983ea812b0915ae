/** RetryPolicy: what to do after a failed send. Pure decisions: no I/O, no timers, no clock. */

import { ApiError } from './errors.js';

/** Retrying cannot fix these: the batch is dropped (and counted) instead of resent for ever. */
export const DROP_STATUSES: ReadonlySet<number> = new Set([401, 403, 413, 422]);

/** What the submitter does with a batch whose send failed. */
export const Action = {
  /** Wait `delayMs`, then send again. */
  RETRY: 'retry',
  /** Give up on the batch: retrying cannot help. */
  DROP: 'drop',
  /** Give up for this cycle: put the batch back at the front of the queue. */
  KEEP: 'keep',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** The policy's answer for one failure. */
export interface Decision {
  action: Action;
  /** For RETRY: how long to wait first. */
  delayMs: number;
  reason: string;
  /** For a 429 with Retry-After: no request at all may go out before this long has passed. */
  retryAfterMs: number | null;
}

export interface RetryPolicyOptions {
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  jitter?: number;
  random?: () => number;
}

/** Whether an error is fetch's "the connection failed" (refused, reset, closed early, DNS). */
export function isConnectionError(error: unknown): boolean {
  return error instanceof TypeError && (error.message === 'fetch failed' || 'cause' in error);
}

/** Whether an error is a request's time limit (AbortSignal.timeout) running out. */
export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** Exponential backoff with jitter for transient failures; Retry-After honoured on 429. */
export class RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly jitter: number;
  private readonly random: () => number;

  constructor(options: RetryPolicyOptions = {}) {
    this.maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.jitter = options.jitter ?? 0.1;
    this.random = options.random ?? Math.random;
  }

  /** Delay before retry number retriesDone+1: 1 s, 2 s, 4 s... capped, minus up to 10%. */
  backoff(retriesDone: number): number {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(retriesDone, 32));
    // Subtractive jitter keeps the cap a true cap while spreading clients apart.
    return delay * (1 - this.jitter * this.random());
  }

  /** Classify a failed send after retriesDone retries. */
  decide(error: unknown, retriesDone: number): Decision {
    if (error instanceof ApiError) {
      const status = error.status;
      const reason = error.message;
      if (DROP_STATUSES.has(status)) return { action: Action.DROP, delayMs: 0, reason, retryAfterMs: null };
      if (status === 429) {
        const wait = error.retryAfterMs;
        if (wait === null) return this.retry(this.backoff(retriesDone), retriesDone, reason, null);
        const capped = Math.min(wait, this.maxRetryAfterMs);
        return this.retry(capped, retriesDone, reason, capped);
      }
      if (status >= 500 || status === 408 || (status >= 200 && status < 300)) {
        // A 2xx whose body did not parse is transient too; a resend is deduplicated.
        return this.retry(this.backoff(retriesDone), retriesDone, reason, null);
      }
      return { action: Action.KEEP, delayMs: 0, reason, retryAfterMs: null };
    }
    if (isTimeoutError(error)) {
      return this.retry(this.backoff(retriesDone), retriesDone, `timeout (${describe(error)})`, null);
    }
    if (isConnectionError(error)) {
      return this.retry(this.backoff(retriesDone), retriesDone, `connection error (${describe(error)})`, null);
    }
    return { action: Action.KEEP, delayMs: 0, reason: `unexpected error (${describe(error)})`, retryAfterMs: null };
  }

  private retry(delayMs: number, retriesDone: number, reason: string, retryAfterMs: number | null): Decision {
    if (retriesDone >= this.maxRetries) {
      return { action: Action.KEEP, delayMs: 0, reason: `${reason}; gave up after ${retriesDone} retries`, retryAfterMs };
    }
    return { action: Action.RETRY, delayMs, reason, retryAfterMs };
  }
}

/** An error in a few words, with the low-level cause fetch hides in `cause`. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : '';
  return `${error.name}: ${error.message}${causeText}`;
}
