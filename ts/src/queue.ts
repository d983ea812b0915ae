/** EventQueue: the bounded FIFO between track() and the submitter. */

import type { TaskCompletionEvent } from './generated/models.js';

/** Bounded FIFO (a ring buffer). When full, the oldest events are evicted and counted. */
export class EventQueue {
  readonly maxSize: number;
  /** How many events were evicted because the queue was full. */
  evicted = 0;
  /** Called once the queue holds `threshold` events, until the next drain (a full batch is ready). */
  onThreshold: (() => void) | null = null;
  threshold = 0;
  /** Called once per overflow episode (the first eviction since the queue was last empty). */
  onOverflow: ((evicted: number) => void) | null = null;

  private readonly items: (TaskCompletionEvent | undefined)[];
  private head = 0;
  private length = 0;
  private signalled = false;
  private warned = false;

  constructor(maxSize = 1000) {
    this.maxSize = Math.max(1, Math.floor(maxSize) || 1);
    this.items = new Array<TaskCompletionEvent | undefined>(this.maxSize);
  }

  /** Add an event; if the queue is full, evict the oldest one first. */
  put(event: TaskCompletionEvent): void {
    if (this.length === this.maxSize) {
      this.items[this.head] = event; // overwrite the oldest: it is evicted
      this.head = (this.head + 1) % this.maxSize;
      this.evicted += 1;
      if (!this.warned) {
        this.warned = true;
        this.onOverflow?.(1);
      }
    } else {
      this.items[(this.head + this.length) % this.maxSize] = event;
      this.length += 1;
    }
    if (!this.signalled && this.threshold > 0 && this.length >= this.threshold && this.onThreshold !== null) {
      this.signalled = true;
      this.onThreshold();
    }
  }

  /** Remove and return up to maxItems events, oldest first. */
  drain(maxItems: number): TaskCompletionEvent[] {
    const count = Math.max(0, Math.min(maxItems, this.length));
    const batch = new Array<TaskCompletionEvent>(count);
    for (let i = 0; i < count; i += 1) {
      const index = (this.head + i) % this.maxSize;
      batch[i] = this.items[index] as TaskCompletionEvent;
      this.items[index] = undefined;
    }
    this.head = (this.head + count) % this.maxSize;
    this.length -= count;
    this.signalled = false;
    if (this.length === 0) this.warned = false;
    return batch;
  }

  /** Re-queue events at the front, in order; the oldest of them are evicted if they do not fit. */
  putBack(events: readonly TaskCompletionEvent[]): void {
    const free = this.maxSize - this.length;
    const overflow = Math.max(0, events.length - free);
    for (let i = events.length - 1; i >= overflow; i -= 1) {
      this.head = (this.head - 1 + this.maxSize) % this.maxSize;
      this.items[this.head] = events[i];
      this.length += 1;
    }
    if (overflow > 0) {
      this.evicted += overflow;
      this.onOverflow?.(overflow);
    }
  }

  /** Current number of queued events. */
  get size(): number {
    return this.length;
  }

  /** Whether the queue is empty. */
  get isEmpty(): boolean {
    return this.length === 0;
  }
}
