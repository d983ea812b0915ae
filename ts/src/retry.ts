/** RetryPolicy: what to do after a failed send. Pure decisions: no I/O, no timers, no clock. */

import { ApiError, DeadlineError } from './errors.js';

/** Retrying cannot fix these for the whole batch: it is dropped (and counted) instead of resent. */
export const DROP_STATUSES: ReadonlySet<number> = new Set([401, 403]);
/** The server refused the batch because of some of its events: find them, send the rest. */
export const ISOLATE_STATUSES: ReadonlySet<number> = new Set([413, 422]);

// The local server's (and the reference server's) 403 for one foreign event.
const FOREIGN_INSTANCE = /events\[(\d+)\]\.instance_id (\S+) is not the instance/;

/** What the submitter does with a batch whose send failed. */
export const Action = {
  /** Wait `delayMs`, then send again. */
  RETRY: 'retry',
  /** Give up on the batch: retrying cannot help. */
  DROP: 'drop',
  /** Give up for this cycle: put the batch back at the front of the queue. */
  KEEP: 'keep',
  /** Some events are bad: drop those (`indexes` / `instanceId`), or split the batch to find them. */
  ISOLATE: 'isolate',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

/** The policy's answer for one failure. */
export interface Decision {
  action: Action;
  /** For RETRY: how long to wait first; for KEEP after the last retry: the wait that still binds. */
  delayMs: number;
  reason: string;
  /** The HTTP status, when there was one. */
  status: number | null;
  /** ISOLATE: positions in the batch of the events the server named (empty: split the batch). */
  indexes: readonly number[];
  /** ISOLATE: every event with this instance_id was refused. */
  instanceId: string | null;
}

function decision(action: Action, reason: string, extra: Partial<Decision> = {}): Decision {
  return { action, delayMs: 0, reason, status: null, indexes: [], instanceId: null, ...extra };
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

/** Exponential backoff with jitter for transient failures; a Retry-After is honoured when given. */
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
    if (error instanceof ApiError) return this.decideStatus(error, retriesDone);
    if (isTimeoutError(error) || error instanceof DeadlineError) {
      return this.retry(this.backoff(retriesDone), retriesDone, `timeout (${describe(error)})`, null);
    }
    if (isConnectionError(error)) {
      return this.retry(this.backoff(retriesDone), retriesDone, `connection error (${describe(error)})`, null);
    }
    return decision(Action.KEEP, `unexpected error (${describe(error)})`);
  }

  private decideStatus(error: ApiError, retriesDone: number): Decision {
    const status = error.status;
    const reason = error.message;
    if (status === 403) {
      const found = FOREIGN_INSTANCE.exec(error.detail);
      if (found?.[2] !== undefined) return decision(Action.ISOLATE, reason, { status, instanceId: found[2] });
    }
    if (DROP_STATUSES.has(status)) return decision(Action.DROP, reason, { status });
    if (ISOLATE_STATUSES.has(status)) {
      const indexes = status === 422 ? eventIndexes(error.body) : null;
      if (indexes === null && status === 422 && namesNoEvent(error.body)) {
        // The request as a whole is wrong (not one of its events): splitting cannot help.
        return decision(Action.DROP, reason, { status });
      }
      return decision(Action.ISOLATE, reason, { status, indexes: indexes ?? [] });
    }
    if (status === 429 || status >= 500 || status === 408 || (status >= 200 && status < 300)) {
      // A 2xx whose body did not parse is transient too; a resend is deduplicated. A Retry-After
      // (429, or 503 and others) is honoured as given, else backoff, as in the Python client.
      const wait = error.retryAfterMs;
      const delay = wait === null ? this.backoff(retriesDone) : Math.min(wait, this.maxRetryAfterMs);
      return this.retry(delay, retriesDone, reason, status);
    }
    return decision(Action.KEEP, reason, { status });
  }

  private retry(delayMs: number, retriesDone: number, reason: string, status: number | null): Decision {
    if (retriesDone >= this.maxRetries) {
      // The delay still holds: the next cycle must not send before it either.
      return decision(Action.KEEP, `${reason}; gave up after ${retriesDone} retries`, { delayMs });
    }
    return decision(Action.RETRY, reason, { delayMs, status });
  }
}

/** The `loc` of every item of a FastAPI-style `detail` list; null if there is no such list. */
function detailLocs(body: string): unknown[][] | null {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return null;
  }
  const detail = typeof data === 'object' && data !== null ? (data as { detail?: unknown }).detail : undefined;
  if (!Array.isArray(detail) || detail.length === 0) return null;
  const locs = detail.map((item: unknown) =>
    typeof item === 'object' && item !== null ? (item as { loc?: unknown }).loc : undefined,
  );
  return locs.every(Array.isArray) ? (locs as unknown[][]) : null;
}

/** Positions of the events a 422's detail names (`loc` = body, events, i, ...); else null. */
function eventIndexes(body: string): number[] | null {
  const locs = detailLocs(body);
  if (locs === null) return null;
  const indexes = new Set<number>();
  for (const loc of locs) {
    const index = indexAfterEvents(loc);
    if (index === null) return null;
    indexes.add(index);
  }
  return [...indexes].sort((a, b) => a - b);
}

/** Whether a 422's detail lists problems none of which points into `events`. */
function namesNoEvent(body: string): boolean {
  const locs = detailLocs(body);
  return locs !== null && locs.every((loc) => !loc.includes('events'));
}

function indexAfterEvents(loc: unknown[]): number | null {
  for (let position = 0; position < loc.length - 1; position += 1) {
    const following = loc[position + 1];
    if (loc[position] === 'events' && typeof following === 'number' && Number.isInteger(following)) return following;
  }
  return null;
}

/** An error in a few words, with the low-level cause fetch hides in `cause`. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : '';
  return `${error.name}: ${error.message}${causeText}`;
}
