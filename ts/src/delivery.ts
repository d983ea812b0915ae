/**
 * Delivery: how queued events reach the server, as a sans-I/O generator every driver runs.
 *
 * `Delivery.flush()` drains the queue in batches and yields what to do next: a `send` step (the
 * driver POSTs the batch, the whole request within `timeoutMs`, and passes back the response or
 * the error) or a `wait` step (the driver sleeps, and may wake early: time is re-read after it).
 * Every send/wait/put-back/drop decision lives here, once, for the background worker, `flush()`
 * and `stop()` alike, and can be tested without a network or a timer: time is read only through
 * the injected clocks. The rules are the Python client's (docs/lifecycle.md in the repository).
 */

import { TelemetryError } from './errors.js';
import type { BatchEventRequest, BatchEventResponse, TaskCompletionEvent } from './generated/models.js';
import type { EventQueue } from './queue.js';
import { Action } from './retry.js';
import type { Decision, RetryPolicy } from './retry.js';

/** A batch refused with the same non-retryable status this many cycles in a row is dropped. */
export const REFUSALS_BEFORE_DROP = 3;

/** POST this batch, the whole request within timeoutMs; reply `{ ok: true, response }` or `{ ok: false, error }`. */
export interface SendStep {
  kind: 'send';
  batch: BatchEventRequest;
  timeoutMs: number;
}

/** Sleep at most this long (waking early is fine: time is re-read); reply with undefined. */
export interface WaitStep {
  kind: 'wait';
  ms: number;
}

export type Step = SendStep | WaitStep;
export type Reply = { ok: true; response: BatchEventResponse } | { ok: false; error: unknown } | undefined;

/** What one flush did. */
export interface FlushResult {
  /** Events the server accepted (a duplicate counts as delivered). */
  delivered: number;
  /** Events this flush dropped, for any counted reason. */
  dropped: number;
  /** Events still queued when it returned. */
  queued: number;
}

export type Steps = Generator<Step, FlushResult, Reply>;

/** Counters of what happened to tracked events (the Python client's, camelCased). */
export interface DeliveryStats {
  requests: number;
  delivered: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  isolated: number;
  droppedRefused: number;
  droppedStale: number;
  putBack: number;
  abandoned: number;
  retries: number;
  dryRun: number;
  evicted: number;
  invalid: number;
}

export function emptyStats(): DeliveryStats {
  return {
    requests: 0, delivered: 0, duplicates: 0, rejected: 0, dropped: 0, isolated: 0, droppedRefused: 0,
    droppedStale: 0, putBack: 0, abandoned: 0, retries: 0, dryRun: 0, evicted: 0, invalid: 0,
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
  /** Drop events older than this (by their timestamp) instead of sending them; null: never. */
  maxEventAgeMs?: number | null;
  /** Monotonic milliseconds (performance.now()). */
  clock: () => number;
  /** Unix milliseconds (Date.now()), for event age. */
  wallClock?: () => number;
  reporter: Reporter;
}

/** Events a flush took from the queue and has not settled yet, as the sub-batches to send. */
class Hold {
  released = false;
  constructor(public parts: TaskCompletionEvent[][]) {}

  events(): TaskCompletionEvent[] {
    return this.parts.flat();
  }
}

/** Batches, sends, retries, isolates and re-queues events; performs no I/O itself. */
export class Delivery {
  /** Monotonic time before which no request may go out (Retry-After, backoff). */
  notBefore = Number.NEGATIVE_INFINITY;
  private readonly batchSize: number;
  private readonly held = new Set<Hold>();
  private generation = 0;
  private stopDeadlineValue: number | null = null;
  private refusal: { head: string; status: number; count: number } | null = null;
  private forbiddenLogged = false;

  constructor(
    private readonly queue: EventQueue,
    private readonly policy: RetryPolicy,
    readonly stats: DeliveryStats,
    private readonly options: DeliveryOptions,
  ) {
    this.batchSize = Math.min(100, Math.max(1, Math.floor(options.batchSize) || 1));
  }

  // -- control ---------------------------------------------------------------------------

  /** Bound every running and later flush by this monotonic deadline (until resume()). */
  stopBy(deadline: number): void {
    if (this.stopDeadlineValue === null || deadline < this.stopDeadlineValue) this.stopDeadlineValue = deadline;
  }

  /** Lift the stop deadline: flushes are unbounded again (start()). */
  resume(): void {
    this.stopDeadlineValue = null;
  }

  /** The stop deadline, if stop() set one. */
  get stopDeadline(): number | null {
    return this.stopDeadlineValue;
  }

  /** Put every held batch back at the front of the queue; running flushes then end. */
  abandon(): number {
    this.generation += 1;
    let count = 0;
    for (const hold of this.held) {
      hold.released = true;
      const events = hold.events();
      this.queue.putBack(events);
      count += events.length;
    }
    this.held.clear();
    this.stats.abandoned += count;
    this.stats.putBack += count;
    if (count > 0) this.options.reporter.info(`Telemetry: ${count} events in flight put back on the queue`);
    return count;
  }

  /** Events taken by running flushes and not settled yet. */
  get heldCount(): number {
    let count = 0;
    for (const hold of this.held) count += hold.events().length;
    return count;
  }

  // -- the flush -------------------------------------------------------------------------

  /**
   * Send batches until the queue is empty (or `limit` events were taken), a batch had to be put
   * back, or the deadline leaves no room for the next step. Returns what it did.
   */
  *flush(options: { deadline?: number | null; limit?: number | null } = {}): Steps {
    const own = options.deadline ?? null;
    const result: FlushResult = { delivered: 0, dropped: 0, queued: 0 };
    const generation = this.generation;
    let left = options.limit ?? null;
    while (left === null || left > 0) {
      const size = left === null ? this.batchSize : Math.min(this.batchSize, left);
      const hold = this.take(generation, size);
      if (hold === null) break;
      if (left !== null) left -= hold.parts[0]!.length;
      this.dropStale(hold, result);
      if (hold.parts[0]!.length === 0) {
        this.release(hold);
        continue;
      }
      if (this.options.dryRun) {
        const events = hold.parts[0]!;
        this.options.reporter.info(
          `[DRY RUN] Would submit batch of ${events.length} events to ${this.options.targetUrl}`,
        );
        this.stats.dryRun += events.length;
        this.release(hold);
        continue;
      }
      const ended = yield* this.deliver(hold, own, result);
      if (ended) break;
    }
    result.queued = this.queue.size;
    return result;
  }

  private take(generation: number, size: number): Hold | null {
    if (generation !== this.generation) return null; // abandoned: take nothing more
    const events = this.queue.drain(size);
    if (events.length === 0) return null;
    const hold = new Hold([events]);
    this.held.add(hold);
    return hold;
  }

  private release(hold: Hold): void {
    hold.released = true;
    this.held.delete(hold);
  }

  private deadline(own: number | null): number | null {
    const stop = this.stopDeadlineValue;
    if (own === null) return stop;
    return stop === null ? own : Math.min(own, stop);
  }

  /** Settle one held batch; true if the flush must end (put back, or abandoned). */
  private *deliver(hold: Hold, own: number | null, result: FlushResult): Generator<Step, boolean, Reply> {
    const { clock, reporter } = this.options;
    let retries = 0;
    try {
      while (hold.parts.length > 0) {
        // Gate: no request before notBefore; no wait that would end past the deadline.
        let timeoutMs: number;
        for (;;) {
          const now = clock();
          const deadline = this.deadline(own);
          if (this.notBefore > now) {
            if (deadline !== null && this.notBefore > deadline) {
              return this.keep(hold, `a ${seconds(this.notBefore - now)} s wait would pass the deadline`);
            }
            yield { kind: 'wait', ms: this.notBefore - now };
            if (hold.released) return true;
            continue;
          }
          if (deadline !== null && deadline - now <= 0) return this.keep(hold, 'the deadline has passed');
          timeoutMs = deadline === null ? this.options.requestTimeoutMs : Math.min(this.options.requestTimeoutMs, deadline - now);
          break;
        }
        const events = hold.parts[0]!;
        this.stats.requests += 1;
        const reply = yield { kind: 'send', batch: { events }, timeoutMs };
        if (hold.released) return true; // abandoned meanwhile: the events are back on the queue
        if (reply !== undefined && reply.ok) {
          hold.parts.shift();
          this.account(events, reply.response, result);
          this.refusal = null;
          retries = 0;
          continue;
        }
        const error = reply === undefined ? new TelemetryError('the driver returned no reply') : reply.error;
        reporter.error(error instanceof Error ? error : new TelemetryError(String(error)));
        const decision = this.policy.decide(error, retries);
        if (decision.action === Action.RETRY) {
          reporter.info(
            `Telemetry batch of ${events.length} events failed (${decision.reason}); retrying in ${seconds(decision.delayMs)} s`,
          );
          this.stats.retries += 1;
          retries += 1;
          this.notBefore = Math.max(this.notBefore, clock() + decision.delayMs);
          continue;
        }
        retries = 0;
        if (decision.delayMs > 0) {
          // Retries ran out: the wait still binds the next try (no request before it expires).
          this.notBefore = Math.max(this.notBefore, clock() + decision.delayMs);
        }
        if (decision.action === Action.DROP) {
          hold.parts.shift();
          this.logDrop(events.length, decision.reason, decision.status);
          this.stats.dropped += events.length;
          result.dropped += events.length;
        } else if (decision.action === Action.ISOLATE) {
          this.isolate(hold, decision, result);
        } else if (this.refusedTooOften(events, decision)) {
          hold.parts.shift();
          reporter.severe(
            `Telemetry batch of ${events.length} events dropped: refused ${REFUSALS_BEFORE_DROP} times in a row (${decision.reason})`,
          );
          this.stats.droppedRefused += events.length;
          result.dropped += events.length;
        } else {
          return this.keep(hold, decision.reason, true);
        }
      }
      this.release(hold);
      return false;
    } finally {
      // The driver closed this flush early (generator.return()): nothing held may be lost.
      if (!hold.released) this.keep(hold, 'the flush was cancelled', false, true);
    }
  }

  /** Put what the hold still has back at the front of the queue; the flush ends. */
  private keep(hold: Hold, reason: string, loud = false, abandoned = false): boolean {
    if (hold.released) return true;
    this.release(hold);
    const events = hold.events();
    this.queue.putBack(events);
    this.stats.putBack += events.length;
    if (abandoned) this.stats.abandoned += events.length;
    if (events.length > 0) {
      const message = `Telemetry batch of ${events.length} events not delivered (${reason}); re-queued for the next cycle`;
      if (loud) this.options.reporter.warn(message);
      else this.options.reporter.info(message);
    }
    return true;
  }

  /** Drop the events the server refused, keep the rest to send at once; split if unnamed. */
  private isolate(hold: Hold, decision: Decision, result: FlushResult): void {
    const events = hold.parts.shift()!;
    let bad: Set<number>;
    if (decision.instanceId !== null) {
      bad = new Set(events.flatMap((e, i) => (e.instance_id === decision.instanceId ? [i] : [])));
    } else {
      bad = new Set(decision.indexes);
    }
    if (bad.size === 0 || Math.max(...bad) >= events.length) {
      if (events.length > 1) {
        const half = Math.floor(events.length / 2);
        hold.parts.unshift(events.slice(0, half), events.slice(half));
        return;
      }
      bad = new Set([0]);
    }
    const refused = events.filter((_, i) => bad.has(i));
    const rest = events.filter((_, i) => !bad.has(i));
    if (rest.length > 0) hold.parts.unshift(rest);
    this.stats.isolated += refused.length;
    result.dropped += refused.length;
    const ids = refused.slice(0, 10).map((e) => e.event_id).join(', ');
    const more = refused.length > 10 ? ` and ${refused.length - 10} more` : '';
    this.options.reporter.warn(
      `Telemetry: ${refused.length} events refused by the server dropped, the rest of their batch kept (${decision.reason}): ${ids}${more}`,
    );
  }

  /** Count a non-retryable refusal of this head batch; true at the third in a row. */
  private refusedTooOften(events: TaskCompletionEvent[], decision: Decision): boolean {
    const status = decision.status;
    if (status === null || status < 300 || status >= 500) {
      this.refusal = null;
      return false;
    }
    const head = events[0]!.event_id;
    const previous = this.refusal;
    const count = previous !== null && previous.head === head && previous.status === status ? previous.count + 1 : 1;
    this.refusal = { head, status, count };
    if (count >= REFUSALS_BEFORE_DROP) {
      this.refusal = null;
      return true;
    }
    return false;
  }

  private dropStale(hold: Hold, result: FlushResult): void {
    const maxAge = this.options.maxEventAgeMs ?? null;
    if (maxAge === null) return;
    const cutoff = (this.options.wallClock ?? Date.now)() - maxAge;
    const events = hold.parts[0]!;
    const fresh = events.filter((e) => Date.parse(e.timestamp) >= cutoff);
    const stale = events.length - fresh.length;
    if (stale > 0) {
      hold.parts[0] = fresh;
      this.stats.droppedStale += stale;
      result.dropped += stale;
      this.options.reporter.warn(`Telemetry: ${stale} events older than maxEventAgeMs=${maxAge} dropped`);
    }
  }

  private logDrop(count: number, reason: string, status: number | null): void {
    if (status === 403) {
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

  private account(events: TaskCompletionEvent[], response: BatchEventResponse, result: FlushResult): void {
    let rejected = 0;
    let duplicates = 0;
    for (const item of response.results) {
      if (item.status !== 'rejected') continue;
      const error = item.error ?? '';
      if (error.toLowerCase().startsWith('duplicate')) {
        duplicates += 1;
        continue;
      }
      rejected += 1;
      this.options.reporter.error(new TelemetryError(`Telemetry event ${item.event_id} rejected by server: ${error}`));
    }
    if (response.results.length === 0 && response.rejected > 0) {
      // A server that reports counts without per-event results.
      rejected = Math.min(events.length, response.rejected);
      this.options.reporter.error(new TelemetryError(`Telemetry server rejected ${rejected} events (no details given)`));
    }
    this.stats.rejected += rejected;
    this.stats.duplicates += duplicates;
    this.stats.delivered += events.length - rejected;
    result.delivered += events.length - rejected;
    result.dropped += rejected;
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
