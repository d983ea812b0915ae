/** Valid inputs to start tests from (the Python tests' factories, in TypeScript). */

import { randomUUID } from 'node:crypto';

import { Complexity, Harness, Outcome, Provider, QualityGate, TaskType } from '../../src/index.js';
import type { EventInput, TaskCompletionEvent } from '../../src/index.js';

export const INSTANCE_ID = '12345678-1234-1234-1234-123456789abc';
export const API_KEY = 'a'.repeat(64);
export const OTHER_KEY = 'b'.repeat(64);

/** A complete, valid input for eventBuilder.build(). */
export function eventInput(overrides: Partial<EventInput> = {}): EventInput {
  return {
    task_duration_ms: 45_000,
    task_type: TaskType.IMPLEMENTATION,
    complexity: Complexity.MEDIUM,
    harness: Harness.CLAUDE_CODE,
    model: 'claude-sonnet-4-5-20250929',
    provider: Provider.ANTHROPIC,
    estimated_input_tokens: 105_000,
    estimated_output_tokens: 45_000,
    actual_input_tokens: 112_340,
    actual_output_tokens: 38_760,
    estimated_cost_usd_micros: 630_000,
    actual_cost_usd_micros: 919_200,
    quality_gate_passed: true,
    quality_gates_run: [QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST],
    quality_gates_failed: [],
    context_compactions: 2,
    context_rotations: 0,
    context_utilization_final: 0.72,
    outcome: Outcome.SUCCESS,
    retry_count: 0,
    language: 'typescript',
    ...overrides,
  };
}

/** A complete wire event (what build() returns), as a plain mutable object. */
export function wireEvent(overrides: Partial<TaskCompletionEvent> = {}): TaskCompletionEvent {
  return {
    instance_id: INSTANCE_ID,
    event_id: randomUUID(),
    schema_version: '1.0',
    timestamp: '2026-11-22T10:00:00Z',
    ...eventInput(),
    repo_size_category: null,
    ...overrides,
  } as TaskCompletionEvent;
}

/** Poll `predicate` every 10 ms until true or `timeoutMs` passes; false on timeout. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return predicate();
}
