/**
 * The driver: runs Delivery.flush() steps with real I/O (fetch) and real timers, and decides
 * nothing itself. The background cycle runs every `intervalMs` (an unref()ed timer: an idle client
 * never keeps a process alive) and as soon as a full batch is queued; `flush()` and the final
 * flush of `stop()` run the same steps under a deadline.
 */

import type { Delivery, FlushResult, Reply, SendStep, Steps } from './delivery.js';
import { DeadlineError } from './errors.js';
import type { BatchEventRequest, BatchEventResponse } from './generated/models.js';

/** Sends one batch; must honour the signal (abort the request, including the body read). */
export type Transport = (batch: BatchEventRequest, signal: AbortSignal) => Promise<BatchEventResponse>;

/** One running flush: how to cut its wait short or its request off. */
interface Running {
  bounded: boolean;
  wake: (() => void) | null;
  controller: AbortController | null;
}

/** After the deadline, how long stop() still waits for aborted requests to unwind. */
const UNWIND_MS = 1000;

/** Runs flushes: in the background on an interval, on demand, and the final one on stop. */
export class Worker {
  private timer: NodeJS.Timeout | null = null;
  private active = false;
  private background: Promise<FlushResult> | null = null;
  private kicked = false;
  private readonly running = new Set<Running>();

  constructor(
    private readonly delivery: Delivery,
    private readonly transport: Transport,
    private readonly intervalMs: number,
    private readonly clock: () => number,
    private readonly onCrash: (error: unknown) => void,
  ) {}

  /** Whether the background timer is running (between start() and stop()). */
  get isActive(): boolean {
    return this.active;
  }

  /** Start the background timer (unref()ed). */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.arm();
  }

  /** Run a background cycle soon instead of at the end of the interval (a full batch is queued). */
  wake(): void {
    if (!this.active || this.kicked) return;
    this.kicked = true;
    if (this.background !== null) return; // it runs again as soon as the current cycle ends
    // Not inside track(): on the next turn of the event loop.
    setImmediate(() => this.runBackground()).unref();
  }

  /**
   * Run one flush now (`flush()`): every request and wait of it is bounded by `deadline`
   * (monotonic ms). Resolves with what it did; never rejects.
   */
  flush(deadline: number, limit: number | null): Promise<FlushResult> {
    return this.run(this.delivery.flush({ deadline, limit }), true);
  }

  /**
   * Stop the background cycles and run the final flush, all by `deadline` (which the caller has
   * set on the Delivery with stopBy()). At the deadline whatever is still in flight is abandoned:
   * put back on the queue and its request aborted. Resolves by the deadline plus a moment.
   */
  async stop(deadline: number): Promise<void> {
    this.active = false;
    this.kicked = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    // A running cycle re-decides at once under the stop deadline.
    for (const flush of this.running) flush.wake?.();
    const work = (async () => {
      if (this.background !== null) await this.background;
      await this.run(this.delivery.flush(), true);
    })();
    let timer: NodeJS.Timeout | undefined;
    // A referenced timer: the process stays up until the final flush ends or the deadline.
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.max(0, deadline - this.clock()));
    });
    const outcome = await Promise.race([work.then(() => 'done' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.delivery.abandon();
      for (const flush of this.running) flush.controller?.abort(new DeadlineError('shutdown deadline reached'));
      let unwind: NodeJS.Timeout | undefined;
      await Promise.race([work, new Promise((resolve) => (unwind = setTimeout(resolve, UNWIND_MS)))]);
      clearTimeout(unwind);
    }
  }

  private arm(): void {
    if (!this.active) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kicked = true;
      this.runBackground();
    }, this.intervalMs);
    this.timer.unref();
  }

  private runBackground(): void {
    if (!this.active || this.background !== null || !this.kicked) return;
    this.kicked = false;
    const cycle = this.run(this.delivery.flush(), false);
    this.background = cycle;
    void cycle.then(() => {
      this.background = null;
      if (this.kicked) this.runBackground();
      else this.arm();
    });
  }

  private async run(steps: Steps, bounded: boolean): Promise<FlushResult> {
    const flush: Running = { bounded, wake: null, controller: null };
    this.running.add(flush);
    try {
      let reply: Reply;
      for (;;) {
        const next = steps.next(reply);
        if (next.done === true) return next.value;
        const step = next.value;
        if (step.kind === 'send') {
          reply = await this.send(step, flush);
        } else {
          await this.sleep(step.ms, flush);
          reply = undefined;
        }
      }
    } catch (error) {
      this.onCrash(error);
      return { delivered: 0, dropped: 0, queued: 0 };
    } finally {
      // Closing a flush that did not finish puts back what it still holds.
      steps.return({ delivered: 0, dropped: 0, queued: 0 });
      this.running.delete(flush);
    }
  }

  private async send(step: SendStep, flush: Running): Promise<Reply> {
    const controller = new AbortController();
    // AbortSignal.timeout bounds the whole request, body included (a trickling server cannot
    // stretch it); combined by hand because AbortSignal.any() is newer than Node 18.
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(step.timeoutMs)));
    const onTimeout = (): void => controller.abort(timeout.reason);
    timeout.addEventListener('abort', onTimeout, { once: true });
    flush.controller = controller;
    try {
      const response = await this.transport(step.batch, controller.signal);
      return { ok: true, response };
    } catch (error) {
      return { ok: false, error: controller.signal.aborted ? (controller.signal.reason ?? error) : error };
    } finally {
      timeout.removeEventListener('abort', onTimeout);
      flush.controller = null;
    }
  }

  private sleep(ms: number, flush: Running): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      // In the background an idle wait must not keep the process alive; under a deadline
      // (flush(), stop()) it must, or the process could exit mid-shutdown.
      if (!flush.bounded && this.delivery.stopDeadline === null) timer.unref();
      function done(): void {
        clearTimeout(timer);
        flush.wake = null;
        resolve();
      }
      flush.wake = done;
    });
  }
}
