/** The generated layer: enums, validators per constraint family, endpoint stubs over HTTP. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ApiError, generated } from '../src/index.js';
import { API_KEY, wireEvent } from './helpers/events.js';
import { FaultServer } from './helpers/faultServer.js';

const { validateTaskCompletionEvent, validateBatchEventRequest, validatePredictionQuery, validatePredictionResponse } = generated;

function problems(overrides: Record<string, unknown>): string[] {
  return validateTaskCompletionEvent({ ...wireEvent(), ...overrides }).map((i) => `${i.path}: ${i.message}`);
}

describe('generated enums', () => {
  it('are `as const` objects whose values are the spec\'s', () => {
    assert.deepEqual(Object.values(generated.TaskType), [
      'planning', 'implementation', 'code_review', 'testing', 'debugging', 'refactoring', 'documentation',
      'configuration', 'security_audit', 'unknown',
    ]);
    assert.equal(generated.Harness.CLAUDE_CODE, 'claude_code');
    assert.deepEqual(Object.keys(generated.RepoSizeCategory), ['TINY', 'SMALL', 'MEDIUM', 'LARGE', 'HUGE']);
    // Both the member and the literal type-check as the enum type.
    const a: generated.Complexity = generated.Complexity.MEDIUM;
    const b: generated.Complexity = 'medium';
    assert.equal(a, b);
  });
});

describe('generated validators', () => {
  it('a complete event is valid', () => {
    assert.deepEqual(problems({}), []);
  });

  it('integer ranges (minimum/maximum) and integrality', () => {
    assert.deepEqual(problems({ task_duration_ms: 86_400_001 }), ['task_duration_ms: must be <= 86400000, got 86400001']);
    assert.deepEqual(problems({ retry_count: -1 }), ['retry_count: must be >= 0, got -1']);
    assert.deepEqual(problems({ context_rotations: 51 }), ['context_rotations: must be <= 50, got 51']);
    assert.deepEqual(problems({ actual_input_tokens: 1.5 }), ['actual_input_tokens: must be an integer, got 1.5']);
    assert.deepEqual(problems({ estimated_cost_usd_micros: '5' }), ['estimated_cost_usd_micros: must be a finite integer, got "5"']);
    assert.deepEqual(problems({ actual_output_tokens: Number.NaN }), ['actual_output_tokens: must be a finite integer, got NaN']);
  });

  it('number ranges', () => {
    assert.deepEqual(problems({ context_utilization_final: 1.01 }), ['context_utilization_final: must be <= 1, got 1.01']);
    assert.deepEqual(problems({ context_utilization_final: 0 }), []);
  });

  it('string lengths', () => {
    assert.deepEqual(problems({ model: '' }), ['model: must be at least 1 characters, got ""']);
    assert.equal(problems({ model: 'x'.repeat(101) })[0]?.startsWith('model: must be at most 100 characters'), true);
    assert.deepEqual(problems({ model: 'x'.repeat(100) }), []);
    assert.equal(problems({ language: 'x'.repeat(31) }).length, 1);
    // Lengths count code points, as JSON Schema (and Python) do: 30 emoji fit in 30.
    assert.deepEqual(problems({ language: '\u{1F600}'.repeat(30) }), []);
  });

  it('enums, nullable enums and enum arrays', () => {
    assert.match(problems({ task_type: 'coding' })[0]!, /^task_type: must be a TaskType \('planning', /);
    assert.deepEqual(problems({ repo_size_category: null }), []);
    assert.match(problems({ repo_size_category: 'giant' })[0]!, /^repo_size_category: must be a RepoSizeCategory/);
    assert.match(problems({ quality_gates_run: ['build', 'deploy'] })[0]!, /^quality_gates_run\[1\]: must be a QualityGate/);
    assert.deepEqual(problems({ quality_gates_failed: 'build' }), ['quality_gates_failed: must be an array, got "build"']);
  });

  it('uuid and date-time formats (a UTC offset is required)', () => {
    assert.deepEqual(problems({ event_id: 'not-a-uuid' }), ['event_id: must be a UUID, got "not-a-uuid"']);
    assert.deepEqual(problems({ instance_id: 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D' }), []);
    assert.deepEqual(problems({ timestamp: '2026-11-22T10:00:00+02:00' }), []);
    assert.deepEqual(problems({ timestamp: '2026-11-22T10:00:00.123456Z' }), []);
    for (const bad of ['2026-11-22T10:00:00', '2026-02-30T10:00:00Z', '2026-11-22', 'yesterday']) {
      assert.equal(problems({ timestamp: bad })[0]?.startsWith('timestamp: must be an RFC 3339 date-time'), true, bad);
    }
  });

  it('const, booleans, null where not allowed', () => {
    assert.deepEqual(problems({ schema_version: '2.0' }), ['schema_version: must be "1.0", got "2.0"']);
    assert.deepEqual(problems({ quality_gate_passed: 'yes' }), ['quality_gate_passed: must be a boolean, got "yes"']);
    assert.deepEqual(problems({ model: null }), ['model: must not be null']);
  });

  it('required fields and no unknown fields on requests', () => {
    const { outcome: _omitted, ...rest } = wireEvent();
    assert.deepEqual(validateTaskCompletionEvent(rest).map((i) => `${i.path}: ${i.message}`), ['outcome: is required']);
    assert.deepEqual(problems({ agent_version: '1' }), ['agent_version: is not a known field']);
    assert.deepEqual(validatePredictionQuery({ task_type: 'testing', model: 'm', provider: 'openai', complexity: 'low', extra: 1 }).map((i) => i.path), ['extra']);
  });

  it('array bounds, and nested paths', () => {
    assert.deepEqual(validateBatchEventRequest({ events: [] }).map((i) => i.message), ['must have at least 1 items, got an array']);
    const many = Array.from({ length: 101 }, () => wireEvent());
    assert.deepEqual(validateBatchEventRequest({ events: many }).map((i) => i.message), ['must have at most 100 items, got 101']);
    const bad = validateBatchEventRequest({ events: [wireEvent(), { ...wireEvent(), retry_count: 21 }] });
    assert.deepEqual(bad.map((i) => i.path), ['events[1].retry_count']);
  });

  it('responses are open (unknown fields allowed); maps and nested models are checked', () => {
    const response = {
      prediction: null,
      metadata: { sample_size: 0, fallback_level: -1, confidence: 'none', added_by_a_newer_server: true },
    };
    assert.deepEqual(validatePredictionResponse(response), []);
    const withData = {
      prediction: {
        input_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
        output_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
        cost_usd_micros: { median: 'lots' },
        duration_ms: { median: 1 },
        correction_factors: { input: 1, output: 1 },
        quality: { gate_pass_rate: 1, success_rate: 1 },
      },
      metadata: { sample_size: 1, fallback_level: -2, confidence: 'low', dimensions_matched: { model: null, task_type: 'x' } },
    };
    assert.deepEqual(validatePredictionResponse(withData).map((i) => i.path), ['prediction.cost_usd_micros.median', 'metadata.fallback_level']);
  });
});

describe('generated endpoint stubs', () => {
  let server: FaultServer;
  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.close();
  });
  const options = () => ({ baseUrl: server.url, headers: { Authorization: `Bearer ${API_KEY}` } });

  it('return the parsed response on any 2xx', async () => {
    for (const status of [200, 201, 202]) {
      server.push({ status });
      const event = wireEvent();
      const response = await generated.submitEventsBatch(options(), { events: [event] });
      assert.equal(response.accepted, 1);
      assert.equal(response.results[0]?.event_id, event.event_id);
    }
    const predictions = await generated.getPredictionsBatch(options(), {
      queries: [{ task_type: 'testing', model: 'm', provider: 'openai', complexity: 'low' }],
    });
    assert.equal(predictions.results[0]?.metadata.fallback_level, -1);
    assert.equal(server.requests.at(-1)?.path, generated.GET_PREDICTIONS_BATCH_PATH);
  });

  it('throw ApiError with the status and the parsed Retry-After', async () => {
    server.push({ status: 429, headers: { 'Retry-After': '12' } });
    await assert.rejects(generated.submitEventsBatch(options(), { events: [wireEvent()] }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 12_000);
      assert.equal(error.message, 'HTTP 429: scripted 429');
      return true;
    });
  });

  it('a 2xx body that is not the response schema is an ApiError too', async () => {
    server.push({ status: 202, json: { accepted: 'all' } });
    await assert.rejects(generated.submitEventsBatch(options(), { events: [wireEvent()] }), /HTTP 202: response body is not a valid BatchEventResponse/);
    server.push({ status: 200, raw: '<html>' });
    await assert.rejects(generated.submitEventsBatch(options(), { events: [wireEvent()] }), /not JSON/);
  });
});
