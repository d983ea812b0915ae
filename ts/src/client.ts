/** TelemetryClient: track() events, run the background submitter, fetch and cache predictions. */

import { inspect } from 'node:util';

import { EventBuilder, isBuilt } from './builder.js';
import { PredictionCache } from './cache.js';
import { MAX_BATCH_SIZE, resolveConfig, validateConfig } from './config.js';
import type { ResolvedConfig, TelemetryClientOptions } from './config.js';
import { Delivery, emptyStats } from './delivery.js';
import type { DeliveryStats, FlushResult, Reporter } from './delivery.js';
import { TelemetryError, ValidationError } from './errors.js';
import { SUBMIT_EVENTS_BATCH_PATH, getPredictionsBatch, submitEventsBatch } from './generated/endpoints.js';
import type { RequestOptions } from './generated/endpoints.js';
import type { PredictionQuery, PredictionResponse, TaskCompletionEvent } from './generated/models.js';
import { validatePredictionQuery, validateTaskCompletionEvent } from './generated/schemas.js';
import { EventQueue } from './queue.js';
import { RetryPolicy, describe } from './retry.js';
import { Worker } from './worker.js';

/** The server's limit of queries per prediction request. */
export const MAX_QUERIES_PER_REQUEST = 50;

/** Options of `stop()` and `flush()`. */
export interface ShutdownOptions {
  /** The deadline, ms from now (default: the client's shutdownTimeoutMs). */
  timeoutMs?: number;
}

const now = (): number => performance.now();

/** Queues events, submits them in the background, and caches predictions. */
export class TelemetryClient {
  /** Builds events for this client's instance: `client.eventBuilder.build({...})`. */
  readonly eventBuilder: EventBuilder;

  // ES private fields: the API key stays out of util.inspect(), console.log and JSON.
  readonly #config: ResolvedConfig;
  readonly #request: RequestOptions;
  readonly #queue: EventQueue;
  readonly #cache: PredictionCache;
  readonly #stats: DeliveryStats;
  readonly #delivery: Delivery;
  readonly #worker: Worker;
  readonly #reporter: Reporter;
  #stopping: Promise<void> | null = null;
  readonly #exitHook = (): void => {
    // The event loop emptied while started: deliver what is queued, as stop() would.
    void this.stop();
  };

  constructor(options: TelemetryClientOptions = {}) {
    const config = resolveConfig(options);
    this.#config = config;
    this.#reporter = makeReporter(config);
    if (config.enabled) {
      for (const problem of validateConfig(config)) this.#reporter.warn(`Telemetry config problem: ${problem}`);
    }
    this.eventBuilder = new EventBuilder(config.instanceId);
    this.#request = {
      baseUrl: config.serverUrl,
      headers: { Authorization: `Bearer ${config.apiKey}`, 'User-Agent': config.userAgent },
    };
    this.#queue = new EventQueue(config.maxQueueSize);
    // Wake the worker early once a full batch is queued (or the queue is full, if smaller).
    this.#queue.threshold = Math.min(MAX_BATCH_SIZE, Math.max(1, config.batchSize), this.#queue.maxSize);
    this.#queue.onOverflow = (count) =>
      this.#reporter.warn(
        `Telemetry queue is full (maxQueueSize=${this.#queue.maxSize}): evicting the oldest events (${count} so far this episode)`,
      );
    this.#cache = new PredictionCache(config.predictionCacheTtlMs);
    this.#stats = emptyStats();
    this.#delivery = new Delivery(
      this.#queue,
      new RetryPolicy({ maxRetries: config.maxRetries }),
      this.#stats,
      {
        batchSize: config.batchSize,
        targetUrl: config.serverUrl + SUBMIT_EVENTS_BATCH_PATH,
        requestTimeoutMs: config.requestTimeoutMs,
        dryRun: config.dryRun,
        maxEventAgeMs: config.maxEventAgeMs,
        clock: now,
        reporter: this.#reporter,
      },
    );
    this.#worker = new Worker(
      this.#delivery,
      (batch, signal) => submitEventsBatch({ ...this.#request, signal }, batch),
      Math.max(1, config.submitIntervalMs),
      now,
      (error) => this.#reporter.severe(`Telemetry submitter failed; will try again next cycle: ${describe(error)}`),
    );
  }

  // -- the hot path ----------------------------------------------------------------------

  /** Queue an event for submission. Never throws, never blocks; errors go to onError. */
  track(event: TaskCompletionEvent): void {
    try {
      if (!this.#config.enabled) return;
      if (isBuilt(event)) {
        this.#queue.put(event);
        return;
      }
      // Not from eventBuilder.build(): check it now, so one bad event cannot sink its batch.
      const issues = validateTaskCompletionEvent(event);
      if (issues.length > 0) {
        this.#stats.invalid += 1;
        this.#reporter.error(new ValidationError('TaskCompletionEvent passed to track(); dropped', issues));
        return;
      }
      this.#queue.put(Object.freeze({ ...event }));
    } catch (error) {
      this.#stats.invalid += 1;
      try {
        this.#reporter.error(new TelemetryError(`Unexpected error in track(); event dropped: ${describe(error)}`));
      } catch {
        // track() never throws.
      }
    }
  }

  // -- lifecycle -------------------------------------------------------------------------

  /** Start background submission every submitIntervalMs; no-op if disabled or running. */
  start(): void {
    if (!this.#config.enabled || this.#worker.isActive) return;
    this.#delivery.resume();
    this.#worker.start();
    const worker = this.#worker;
    this.#queue.onThreshold = () => worker.wake();
    // Events tracked before start() already crossed the threshold with nobody to tell.
    if (this.#queue.size >= this.#queue.threshold) worker.wake();
    process.on('beforeExit', this.#exitHook);
  }

  /**
   * Stop background submission after a final flush that honours Retry-After and backoff and
   * ends within shutdownTimeoutMs (or `timeoutMs`); what is left stays queued, and a warning
   * says how many events remain. Safe to call if not started (does nothing); a second call
   * while one is running waits for the same stop. Never rejects.
   */
  stop(options: ShutdownOptions = {}): Promise<void> {
    if (this.#stopping !== null) return this.#stopping;
    if (!this.#worker.isActive) return Promise.resolve();
    this.#stopping = this.#stop(options).finally(() => {
      this.#stopping = null;
    });
    return this.#stopping;
  }

  async #stop(options: ShutdownOptions): Promise<void> {
    const deadline = this.#deadline(options.timeoutMs);
    this.#queue.onThreshold = null;
    process.removeListener('beforeExit', this.#exitHook);
    this.#delivery.stopBy(deadline);
    try {
      await this.#worker.stop(deadline);
    } catch (error) {
      this.#reporter.severe(`Telemetry stop failed: ${describe(error)}`);
    }
    const left = this.#queue.size;
    if (left > 0) this.#reporter.warn(`${left} telemetry events are still queued and were not delivered`);
  }

  /**
   * Deliver what is queued now (at most the queue's size at the call) within shutdownTimeoutMs
   * (or `timeoutMs`), honouring Retry-After and backoff, whether or not start() was called.
   * Resolves with the events delivered, dropped and still queued. Never rejects.
   */
  async flush(options: ShutdownOptions = {}): Promise<FlushResult> {
    if (!this.#config.enabled) return { delivered: 0, dropped: 0, queued: this.#queue.size };
    return this.#worker.flush(this.#deadline(options.timeoutMs), this.#queue.size);
  }

  #deadline(timeoutMs: number | undefined): number {
    return now() + Math.max(0, timeoutMs ?? this.#config.shutdownTimeoutMs);
  }

  /** Number of events currently in the in-memory queue. */
  get queueSize(): number {
    return this.#queue.size;
  }

  /** Whether background submission is active (between start() and stop()). */
  get isRunning(): boolean {
    return this.#worker.isActive;
  }

  /** A snapshot of delivery counters (delivered, rejected, dropped, evicted, ...). */
  get stats(): DeliveryStats {
    return { ...this.#stats, evicted: this.#queue.evicted };
  }

  // -- predictions -----------------------------------------------------------------------

  /** The cached prediction for a query, or null if not cached or expired. */
  getPrediction(query: PredictionQuery): PredictionResponse | null {
    return this.#cache.get(query);
  }

  /**
   * Fetch predictions (POST /v1/predictions/batch, 50 queries a request) into the cache.
   * No-op for no queries, when disabled or in dry-run mode; errors go to onError, never thrown.
   */
  async refreshPredictions(queries: readonly PredictionQuery[]): Promise<void> {
    if (queries.length === 0 || !this.#config.enabled) return;
    if (this.#config.dryRun) {
      this.#reporter.info(
        `[DRY RUN] Would fetch predictions for ${queries.length} queries from ${this.#config.serverUrl}`,
      );
      return;
    }
    const valid: PredictionQuery[] = [];
    for (const query of queries) {
      const issues = validatePredictionQuery(query);
      if (issues.length === 0) valid.push(query);
      else this.#reporter.error(new ValidationError('PredictionQuery; skipped', issues));
    }
    for (let start = 0; start < valid.length; start += MAX_QUERIES_PER_REQUEST) {
      const chunk = valid.slice(start, start + MAX_QUERIES_PER_REQUEST);
      let results: PredictionResponse[];
      try {
        const signal = AbortSignal.timeout(Math.max(1, this.#config.requestTimeoutMs));
        results = (await getPredictionsBatch({ ...this.#request, signal }, { queries: chunk })).results;
      } catch (error) {
        this.#reporter.error(error instanceof Error ? error : new TelemetryError(String(error)));
        this.#reporter.warn(`Could not refresh telemetry predictions: ${describe(error)}`);
        return;
      }
      if (results.length !== chunk.length) {
        this.#reporter.warn(
          `Telemetry server answered ${results.length} predictions for ${chunk.length} queries; caching the matches`,
        );
      }
      chunk.forEach((query, index) => {
        const result = results[index];
        if (result !== undefined) this.#cache.put(query, result);
      });
    }
  }

  /** What console.log and util.inspect show: never the API key. */
  [inspect.custom](): string {
    return `TelemetryClient { serverUrl: ${JSON.stringify(this.#config.serverUrl)}, running: ${this.isRunning} }`;
  }

  toJSON(): Record<string, unknown> {
    return { serverUrl: this.#config.serverUrl, running: this.isRunning };
  }
}

function makeReporter(config: ResolvedConfig): Reporter {
  const { logger, onError } = config;
  const safely = (write: ((message: string) => void) | undefined, message: string): void => {
    try {
      write?.call(logger, message);
    } catch {
      // A failing logger must not break the host.
    }
  };
  return {
    error(error) {
      if (onError === undefined) {
        safely(logger.warn, error.message);
        return;
      }
      try {
        onError(error);
      } catch {
        // onError must not break the SDK either.
      }
    },
    info: (message) => safely(logger.info, message),
    warn: (message) => safely(logger.warn, message),
    severe: (message) => safely(logger.error, message),
  };
}
