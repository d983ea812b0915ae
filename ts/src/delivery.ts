/**
 * Delivery: how queued events reach the server, as a sans-I/O generator the driver runs.
 *
 * `Delivery.flush(budget)` drains the queue in batches and yields what to do next: a `send` step
 * (the driver POSTs the batch within `timeoutMs` and passes back the response or the error) or a
 * `wait` step (the driver sleeps, and may be woken early). Every send/retry/put-back decision
 * lives here, once, and can be tested without a network or a timer. Time comes from `now()`.
 */

import { DeadlineError, TelemetryError } from './errors.js';
import type { BatchEventRequest, BatchEventResponse, TaskCompletionEvent } from './generated/models.js';
import type { EventQueue } from './queue.js';
import { Action, isTimeoutError } from './retry.js';
import type { RetryPolicy } from './retry.js';

/** POST this batch within timeoutMs; reply with `{ ok: true, response }` or `{ ok: false, error }`. */
export interface SendStep {
  kind: 'send';
  batch: BatchEventRequest;
  timeoutMs: number;
}

/** Sleep this long (the driver may wake early); reply with undefined. */
export interface WaitStep {
  kind: 'wait';
  ms: number;
}

export type Step = SendStep | WaitStep;
export type Reply = { ok: true; response: BatchEventResponse } | { ok: false; error: unknown } | undefined;
export type Steps = Generator<Step, void, Reply>;

/**
 * The time limit of one flush. `deadline` (on the `now()` clock) is null for a background cycle;
 * stop() may set it on a cycle already running, which the next step then honours.
 */
export interface Budget {
  deadline: number | null;
}

/** Counters of what happened to tracked events. */
export interface DeliveryStats {
  requests: number;
  delivered: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  putBack: number;
  abandoned: number;
  retries: number;
  dryRun: number;
  evicted: number;
  invalid: number;
}

export function emptyStats(): DeliveryStats {
  return {
    requests: 0, delivered: 0, duplicates: 0, rejected: 0, dropped: 0, putBack: 0, abandoned: 0,
    retries: 0, dryRun: 0, evicted: 0, invalid: 0,
  };
}

/** Where Delivery reports: errors (to onError) and progress messages (to the logger). */
export interface Reporter {
  error(error: Error): void;
  info(message: string): void;
  warn(message: string): void;
  severe(message: string): void;
}

export interface DeliveryOptions {
  batchSize: number;
  targetUrl: string;
  requestTimeoutMs: number;
  dryRun?: boolean;
  now: () => number;
  reporter: Reporter;
}

/** Batches, sends, retries and re-queues events; performs no I/O itself. */
export class Delivery {
  /** No request may go out before this time (on the `now()` clock): a 429's Retry-After. */
  notBefore = 0;
  private readonly batchSize: number;
  private forbiddenLogged = false;

  constructor(
    private readonly queue: EventQueue,
    private readonly policy: RetryPolicy,
    readonly stats: DeliveryStats,
    private readonly options: DeliveryOptions,
  ) {
    this.batchSize = Math.min(100, Math.max(1, Math.floor(options.batchSize) || 1));
  }

  /** Send batches until the queue is empty, a batch had to be put back, or the budget ran out. */
  *flush(budget: Budget): Steps {
    for (;;) {
      const events = this.queue.drain(this.batchSize);
      if (events.length === 0) return;
      if (this.options.dryRun) {
        this.options.reporter.info(
          `[DRY RUN] Would submit batch of ${events.length} events to ${this.options.targetUrl}`,
        );
        this.stats.dryRun += events.length;
        continue;
      }
      const kept = yield* this.deliver(events, budget);
      // A batch went back: the server is unwell or time is up; the next cycle tries again.
      if (kept) return;
    }
  }

  private *deliver(events: TaskCompletionEvent[], budget: Budget): Generator<Step, boolean, Reply> {
    const { now, reporter } = this.options;
    const batch: BatchEventRequest = { events };
    let retries = 0;
    let readyAt = now();
    for (;;) {
      // Never send before the backoff or a Retry-After has passed; a wait that would end past
      // the deadline is not started.
      for (;;) {
        const until = Math.max(readyAt, this.notBefore);
        const current = now();
        if (until <= current) break;
        if (budget.deadline !== null && until > budget.deadline) {
          return this.keep(events, `the next attempt is due in ${seconds(until - current)} s, past the shutdown deadline`);
        }
        yield { kind: 'wait', ms: until - current };
      }
      let timeoutMs = this.options.requestTimeoutMs;
      if (budget.deadline !== null) {
        const left = budget.deadline - now();
        if (left <= 0) return this.keep(events, 'the shutdown deadline has passed');
        timeoutMs = Math.min(timeoutMs, left);
      }
      this.stats.requests += 1;
      const reply = yield { kind: 'send', batch, timeoutMs };
      if (reply !== undefined && reply.ok) {
        this.account(events, reply.response);
        return false;
      }
      const error = reply === undefined ? new TelemetryError('the driver returned no reply') : reply.error;
      if (error instanceof DeadlineError || (budget.deadline !== null && now() >= budget.deadline && isAbort(error))) {
        // Abandoned in flight: its outcome is unknown, and a resend is deduplicated by event_id.
        this.stats.abandoned += events.length;
        return this.keep(events, 'the request was abandoned at the shutdown deadline');
      }
      reporter.error(error instanceof Error ? error : new TelemetryError(String(error)));
      const decision = this.policy.decide(error, retries);
      if (decision.retryAfterMs !== null) {
        this.notBefore = Math.max(this.notBefore, now() + decision.retryAfterMs);
      }
      if (decision.action === Action.RETRY) {
        reporter.info(
          `Telemetry batch of ${events.length} events failed (${decision.reason}); retrying in ${seconds(decision.delayMs)} s`,
        );
        this.stats.retries += 1;
        retries += 1;
        readyAt = now() + decision.delayMs;
        continue;
      }
      if (decision.action === Action.DROP) {
        this.logDrop(events.length, decision.reason, error);
        this.stats.dropped += events.length;
        return false;
      }
      return this.keep(events, decision.reason);
    }
  }

  private keep(events: TaskCompletionEvent[], reason: string): boolean {
    this.options.reporter.warn(
      `Telemetry batch of ${events.length} events not delivered (${reason}); re-queued for the next cycle`,
    );
    this.queue.putBack(events);
    this.stats.putBack += events.length;
    return true;
  }

  private logDrop(count: number, reason: string, error: unknown): void {
    if ((error as { status?: unknown }).status === 403) {
      // A configuration error: say it loudly once, not once per batch.
      if (this.forbiddenLogged) return;
      this.forbiddenLogged = true;
      this.options.reporter.severe(
        `Telemetry server refused the API key or instance_id (${reason}): check apiKey and instanceId; dropped batch of ${count} events`,
      );
      return;
    }
    this.options.reporter.severe(`Telemetry batch of ${count} events dropped, not retryable (${reason})`);
  }

  private account(events: TaskCompletionEvent[], response: BatchEventResponse): void {
    let rejected = 0;
    let duplicates = 0;
    for (const result of response.results) {
      if (result.status !== 'rejected') continue;
      const error = result.error ?? '';
      if (error.toLowerCase().startsWith('duplicate')) {
        duplicates += 1;
        continue;
      }
      rejected += 1;
      this.options.reporter.error(
        new TelemetryError(`Telemetry event ${result.event_id} rejected by server: ${error}`),
      );
    }
    if (response.results.length === 0 && response.rejected > 0) {
      // A server that reports counts without per-event results.
      rejected = Math.min(events.length, response.rejected);
      this.options.reporter.error(new TelemetryError(`Telemetry server rejected ${rejected} events (no details given)`));
    }
    this.stats.rejected += rejected;
    this.stats.duplicates += duplicates;
    this.stats.delivered += events.length - rejected;
  }
}

function isAbort(error: unknown): boolean {
  return isTimeoutError(error) || (error instanceof Error && error.name === 'AbortError');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
