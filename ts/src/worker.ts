/**
 * The driver: runs Delivery.flush() steps with real I/O (fetch) and real timers. It wakes every
 * `intervalMs` (an unref()ed timer: an idle client never keeps a process alive), when a full batch
 * is queued, and on flush()/stop(), which run a cycle bounded by a deadline.
 */

import type { Budget, Delivery, Reply, SendStep, Steps } from './delivery.js';
import { DeadlineError } from './errors.js';
import type { BatchEventRequest, BatchEventResponse } from './generated/models.js';

/** Sends one batch; must honour the signal (abort the request, including the body read). */
export type Transport = (batch: BatchEventRequest, signal: AbortSignal) => Promise<BatchEventResponse>;

/** A cycle in progress: its budget, and how to cut its wait short or its request off. */
class CycleState {
  wake: (() => void) | null = null;
  controller: AbortController | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly budget: Budget,
    private readonly now: () => number,
  ) {}

  /** Give this cycle a deadline (or an earlier one): wake its wait, bound its request. */
  tighten(deadline: number): void {
    if (this.budget.deadline === null || deadline < this.budget.deadline) this.budget.deadline = deadline;
    this.wake?.();
    if (this.controller !== null) this.armDeadline(this.controller);
  }

  armDeadline(controller: AbortController): void {
    const deadline = this.budget.deadline;
    if (deadline === null) return;
    this.clearDeadline();
    // A referenced timer: the process must stay up until the request ends or is abandoned.
    this.deadlineTimer = setTimeout(
      () => controller.abort(new DeadlineError('shutdown deadline reached')),
      Math.max(0, deadline - this.now()),
    );
  }

  clearDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }
}

/** Runs flush cycles one at a time: in the background on an interval, or on demand. */
export class Worker {
  private timer: NodeJS.Timeout | null = null;
  private state: CycleState | null = null;
  private cycle: Promise<void> | null = null;
  private wakePending = false;
  private active = false;

  constructor(
    private readonly delivery: Delivery,
    private readonly transport: Transport,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly onCrash: (error: unknown) => void,
  ) {}

  /** Whether the background timer is running. */
  get running(): boolean {
    return this.active;
  }

  /** Start the background timer (unref()ed). */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.arm();
  }

  /** Flush soon instead of at the end of the interval (a full batch is queued). */
  wake(): void {
    if (!this.active || this.wakePending || this.cycle !== null) return;
    this.wakePending = true;
    // Not inside track(): on the next turn of the event loop.
    setImmediate(() => {
      this.wakePending = false;
      if (this.active && this.cycle === null) void this.run({ deadline: null });
    }).unref();
  }

  /** Stop the background timer; the caller then runs the final bounded flush. */
  halt(): void {
    this.active = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Deliver what is queued, by `deadline` (on the now() clock): a running cycle is held to the
   * deadline too, then one more cycle runs with it.
   */
  async flushBy(deadline: number): Promise<void> {
    // Flushes take turns: another one may have started while this one waited.
    while (this.cycle !== null) {
      this.state?.tighten(deadline);
      await this.cycle;
    }
    await this.run({ deadline });
  }

  private arm(): void {
    if (!this.active) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.cycle === null) void this.run({ deadline: null });
      else this.arm();
    }, this.intervalMs);
    this.timer.unref();
  }

  private run(budget: Budget): Promise<void> {
    const state = new CycleState(budget, this.now);
    this.state = state;
    const cycle = this.drive(this.delivery.flush(budget), state)
      .catch((error: unknown) => this.onCrash(error))
      .finally(() => {
        if (this.cycle === cycle) {
          this.cycle = null;
          this.state = null;
        }
        this.arm();
      });
    this.cycle = cycle;
    return cycle;
  }

  private async drive(steps: Steps, state: CycleState): Promise<void> {
    let reply: Reply;
    for (;;) {
      const next = steps.next(reply);
      if (next.done === true) return;
      const step = next.value;
      if (step.kind === 'send') {
        reply = await this.send(step, state);
      } else {
        await this.sleep(step.ms, state);
        reply = undefined;
      }
    }
  }

  private async send(step: SendStep, state: CycleState): Promise<Reply> {
    const controller = new AbortController();
    // AbortSignal.timeout bounds the whole request, body included (a trickling server cannot
    // stretch it); combined by hand because AbortSignal.any() is newer than Node 18.
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(step.timeoutMs)));
    const onTimeout = (): void => controller.abort(timeout.reason);
    timeout.addEventListener('abort', onTimeout, { once: true });
    state.controller = controller;
    state.armDeadline(controller);
    try {
      const response = await this.transport(step.batch, controller.signal);
      return { ok: true, response };
    } catch (error) {
      return { ok: false, error: controller.signal.aborted ? (controller.signal.reason ?? error) : error };
    } finally {
      timeout.removeEventListener('abort', onTimeout);
      state.controller = null;
      state.clearDeadline();
    }
  }

  private sleep(ms: number, state: CycleState): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      // In the background an idle wait must not keep the process alive; within a deadline
      // (stop(), flush()) it must, or the process would exit mid-shutdown.
      if (state.budget.deadline === null) timer.unref();
      function done(): void {
        clearTimeout(timer);
        state.wake = null;
        resolve();
      }
      state.wake = done;
    });
  }
}
