/** EventBuilder: complete and validate a TaskCompletionEvent (ids, timestamp, schema version). */

import { randomUUID } from 'node:crypto';

import type { TaskCompletionEvent } from './generated/models.js';
import { validateTaskCompletionEvent } from './generated/schemas.js';
import { ValidationError } from './errors.js';

/** What `build()` takes: the event's fields; the ones it fills for you may be given too. */
export type EventInput = Omit<TaskCompletionEvent, 'instance_id' | 'event_id' | 'timestamp' | 'schema_version'> & {
  /** Defaults to the client's instanceId. */
  instance_id?: string;
  /** Defaults to a fresh UUIDv4. */
  event_id?: string;
  /** Defaults to now; a Date is written as ISO 8601 UTC. */
  timestamp?: string | Date;
  schema_version?: '1.0';
};

// Events that build() validated and froze: track() accepts them without validating again.
const built = new WeakSet<object>();

/** Whether an event came from `build()` (validated, then frozen so it stays valid). */
export function isBuilt(event: unknown): boolean {
  return typeof event === 'object' && event !== null && built.has(event);
}

/** Builds TaskCompletionEvents for one instance; reusable. */
export class EventBuilder {
  readonly instanceId: string;

  constructor(instanceId: string) {
    this.instanceId = instanceId;
  }

  /**
   * A complete event: `event_id` (UUIDv4), `timestamp` (now), `schema_version: '1.0'`,
   * `instance_id` and the optional fields' defaults filled in, validated against the schema.
   * Throws ValidationError naming each invalid field. The event is frozen.
   */
  build(input: EventInput): TaskCompletionEvent {
    const { timestamp, ...fields } = input;
    const event: TaskCompletionEvent = {
      instance_id: this.instanceId,
      event_id: randomUUID(),
      schema_version: '1.0',
      quality_gates_run: [],
      quality_gates_failed: [],
      language: null,
      repo_size_category: null,
      ...fields,
      timestamp: timestamp instanceof Date ? timestamp.toISOString() : (timestamp ?? new Date().toISOString()),
    };
    // Copy the gate lists: the caller's arrays must not change a queued event later.
    if (Array.isArray(event.quality_gates_run)) event.quality_gates_run = Object.freeze([...event.quality_gates_run]) as TaskCompletionEvent['quality_gates_run'];
    if (Array.isArray(event.quality_gates_failed)) event.quality_gates_failed = Object.freeze([...event.quality_gates_failed]) as TaskCompletionEvent['quality_gates_failed'];
    const issues = validateTaskCompletionEvent(event);
    if (issues.length > 0) throw new ValidationError('TaskCompletionEvent', issues);
    Object.freeze(event);
    built.add(event);
    return event;
  }
}
