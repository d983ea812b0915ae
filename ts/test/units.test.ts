/** The pure parts: retry policy, queue, cache, config, builder, Retry-After and ApiError. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  Action, ApiError, Complexity, DEFAULTS, DeadlineError, EventBuilder, EventQueue, Harness, Outcome, PredictionCache,
  Provider, QualityGate, RepoSizeCategory, RetryPolicy, TaskType, TelemetryClient, ValidationError, parseRetryAfter,
  resolveConfig, validateConfig,
} from '../src/index.js';
import type { PredictionResponse } from '../src/index.js';
import { API_KEY, INSTANCE_ID, eventInput, wireEvent } from './helpers/events.js';

describe('RetryPolicy', () => {
  const policy = new RetryPolicy({ random: () => 0 });

  it('backoff: 1 s doubling, capped at 60 s, minus up to 10% jitter', () => {
    assert.deepEqual([0, 1, 2, 5, 6, 10].map((n) => policy.backoff(n)), [1000, 2000, 4000, 32_000, 60_000, 60_000]);
    const jittered = new RetryPolicy({ random: () => 1 });
    assert.equal(jittered.backoff(0), 900);
  });

  it('classifies statuses and errors', () => {
    const cases: [unknown, string][] = [
      [new ApiError(500, 'x'), Action.RETRY],
      [new ApiError(503, 'x'), Action.RETRY],
      [new ApiError(408, 'x'), Action.RETRY],
      [new ApiError(202, 'unparseable'), Action.RETRY],
      [new ApiError(429, 'x'), Action.RETRY],
      [new ApiError(401, 'x'), Action.DROP],
      [new ApiError(403, 'x'), Action.DROP],
      [new ApiError(413, 'x'), Action.ISOLATE],
      [new ApiError(422, 'x'), Action.ISOLATE],
      [new ApiError(400, 'x'), Action.KEEP],
      [new ApiError(404, 'x'), Action.KEEP],
      [Object.assign(new TypeError('fetch failed'), { cause: new Error('ECONNRESET') }), Action.RETRY],
      [new DOMException('timed out', 'TimeoutError'), Action.RETRY],
      [new DeadlineError('late'), Action.RETRY],
      [new Error('bug'), Action.KEEP],
    ];
    for (const [error, action] of cases) assert.equal(policy.decide(error, 0).action, action, String(error));
  });

  it('429 waits Retry-After (capped at 300 s), else backs off', () => {
    assert.equal(policy.decide(new ApiError(429, 'x', { retryAfterMs: 7000 }), 0).delayMs, 7000);
    assert.equal(policy.decide(new ApiError(429, 'x', { retryAfterMs: 3_600_000 }), 0).delayMs, 300_000);
    assert.equal(policy.decide(new ApiError(429, 'x'), 2).delayMs, 4000);
    assert.equal(policy.decide(new ApiError(503, 'x', { retryAfterMs: 7000 }), 0).delayMs, 7000, 'a 503 Retry-After too');
    const spent = new RetryPolicy({ maxRetries: 0 }).decide(new ApiError(429, 'x', { retryAfterMs: 9000 }), 0);
    assert.deepEqual([spent.action, spent.delayMs], [Action.KEEP, 9000], 'the wait outlives the retries');
  });

  it('gives up (KEEP) after maxRetries', () => {
    const decision = new RetryPolicy({ maxRetries: 2 }).decide(new ApiError(503, 'x'), 2);
    assert.equal(decision.action, Action.KEEP);
    assert.match(decision.reason, /gave up after 2 retries/);
  });

  it('422 with event locations isolates those indexes', () => {
    const body = JSON.stringify({ detail: [{ loc: ['body', 'events', 3, 'model'], msg: 'm', type: 't' }, { loc: ['body', 'events', 1], msg: 'm', type: 't' }] });
    assert.deepEqual(policy.decide(new ApiError(422, 'x', { body }), 0).indexes, [1, 3]);
  });
});

describe('parseRetryAfter and ApiError', () => {
  it('reads seconds and HTTP dates; null when unusable', () => {
    assert.equal(parseRetryAfter('30'), 30_000);
    assert.equal(parseRetryAfter(' 7 '), 7000);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now), 0);
    for (const bad of [null, undefined, '', 'soon', '1.5', '-1', '1e3', 'Wed, 21 Oct 2026 07:28:30']) {
      assert.equal(parseRetryAfter(bad), null, String(bad));
    }
  });

  it('ApiError: message "HTTP <status>: <detail>", detail lists from 422 bodies', () => {
    const error = ApiError.fromResponse(422, 'Unprocessable', null, JSON.stringify({ detail: [{ loc: ['body', 'events', 0, 'model'], msg: 'too long' }] }));
    assert.equal(error.message, 'HTTP 422: body.events.0.model: too long');
    assert.equal(error.status, 422);
    assert.ok(error instanceof Error);
    const plain = ApiError.fromResponse(503, 'Service Unavailable', '4', 'oops');
    assert.equal(plain.message, 'HTTP 503: Service Unavailable');
    assert.equal(plain.retryAfterMs, 4000);
  });
});

describe('EventQueue', () => {
  it('FIFO, bounded: the oldest are evicted', () => {
    const queue = new EventQueue(3);
    const events = Array.from({ length: 5 }, () => wireEvent());
    for (const e of events) queue.put(e);
    assert.equal(queue.size, 3);
    assert.equal(queue.evicted, 2);
    assert.deepEqual(queue.drain(10), events.slice(2));
    assert.ok(queue.isEmpty);
  });

  it('putBack() puts events at the front in order, evicting the oldest of them when full', () => {
    const queue = new EventQueue(4);
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => wireEvent());
    queue.put(c!);
    queue.put(d!);
    queue.putBack([a!, b!]);
    assert.deepEqual(queue.drain(10), [a, b, c, d]);
    queue.put(d!);
    queue.put(e!);
    queue.put(e!);
    queue.putBack([a!, b!, c!]);
    assert.equal(queue.evicted, 2);
    assert.deepEqual(queue.drain(10), [c, d, e, e]);
  });

  it('signals once when the threshold is reached, again after a drain', () => {
    const queue = new EventQueue(10);
    let signals = 0;
    queue.threshold = 2;
    queue.onThreshold = () => (signals += 1);
    for (let i = 0; i < 5; i += 1) queue.put(wireEvent());
    assert.equal(signals, 1);
    queue.drain(5);
    queue.put(wireEvent());
    queue.put(wireEvent());
    assert.equal(signals, 2);
  });
});

describe('PredictionCache', () => {
  const query = { task_type: TaskType.TESTING, model: 'm', provider: Provider.OPENAI, complexity: Complexity.LOW };
  const response: PredictionResponse = {
    prediction: null,
    metadata: { sample_size: 0, fallback_level: -1, confidence: 'none' },
  };

  it('keys on the four dimensions and expires after the TTL', () => {
    let t = 0;
    const cache = new PredictionCache(100, () => t);
    cache.put(query, response);
    assert.equal(cache.get({ ...query }), response);
    assert.equal(cache.get({ ...query, model: 'other' }), null);
    t = 100;
    assert.equal(cache.get(query), null);
    assert.equal(cache.size, 0);
    cache.put(query, response);
    cache.clear();
    assert.equal(cache.size, 0);
  });
});

describe('configuration', () => {
  it('defaults are the guide\'s', () => {
    const config = resolveConfig({});
    assert.equal(config.enabled, true);
    assert.equal(config.submitIntervalMs, 300_000);
    assert.equal(config.maxQueueSize, 1000);
    assert.equal(config.batchSize, 100);
    assert.equal(config.requestTimeoutMs, 10_000);
    assert.equal(config.predictionCacheTtlMs, 21_600_000);
    assert.equal(config.dryRun, false);
    assert.equal(config.maxRetries, 3);
    assert.equal(config.shutdownTimeoutMs, 10_000);
    assert.equal(DEFAULTS.userAgent.startsWith('mosaicstack-telemetry-typescript/'), true);
  });

  it('strips trailing slashes; reads MOSAIC_TELEMETRY_* when an option is empty', () => {
    const saved = { ...process.env };
    try {
      process.env.MOSAIC_TELEMETRY_SERVER_URL = 'http://env.example:1';
      process.env.MOSAIC_TELEMETRY_API_KEY = API_KEY;
      process.env.MOSAIC_TELEMETRY_INSTANCE_ID = INSTANCE_ID;
      process.env.MOSAIC_TELEMETRY_ENABLED = 'no';
      const config = resolveConfig({ enabled: true });
      assert.equal(config.serverUrl, 'http://env.example:1');
      assert.equal(config.apiKey, API_KEY);
      assert.equal(config.instanceId, INSTANCE_ID);
      assert.equal(config.enabled, false, 'MOSAIC_TELEMETRY_ENABLED always wins');
      assert.equal(resolveConfig({ serverUrl: 'https://x.example//' }).serverUrl, 'https://x.example');
      process.env.MOSAIC_TELEMETRY_ENABLED = 'YES';
      assert.equal(resolveConfig({ enabled: false }).enabled, true);
      process.env.MOSAIC_TELEMETRY_ENABLED = '';
      assert.equal(resolveConfig({ enabled: false }).enabled, false, 'empty counts as unset');
    } finally {
      process.env = saved;
    }
  });

  it('validateConfig names each problem and never echoes the key', () => {
    const problems = validateConfig(resolveConfig({
      serverUrl: 'ftp://x', apiKey: 'secret-key', instanceId: 'nope', batchSize: 0, submitIntervalMs: 0,
      maxQueueSize: -1, requestTimeoutMs: 0,
    }));
    assert.equal(problems.length, 7);
    assert.ok(problems.every((p) => !p.includes('secret-key')));
    assert.deepEqual(validateConfig(resolveConfig({ serverUrl: 'http://127.0.0.1:1', apiKey: API_KEY, instanceId: INSTANCE_ID })), []);
  });

  it('a client with a bad config is still created and warns', () => {
    const warnings: string[] = [];
    const client = new TelemetryClient({ serverUrl: '', apiKey: 'x', instanceId: INSTANCE_ID, logger: { warn: (m) => warnings.push(m) } });
    assert.equal(client.isRunning, false);
    assert.ok(warnings.some((w) => w.includes('serverUrl is required')));
  });
});

describe('EventBuilder', () => {
  const builder = new EventBuilder(INSTANCE_ID);

  it('fills event_id, timestamp, schema_version, instance_id and the optional defaults', () => {
    const before = Date.now();
    const event = builder.build(eventInput({ language: undefined }));
    assert.match(event.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Date.parse(event.timestamp) >= before - 1);
    assert.ok(event.timestamp.endsWith('Z'));
    assert.equal(event.schema_version, '1.0');
    assert.equal(event.instance_id, INSTANCE_ID);
    assert.equal(event.repo_size_category, null);
    assert.notEqual(builder.build(eventInput()).event_id, event.event_id);
    assert.ok(Object.isFrozen(event));
  });

  it('given values win; a Date timestamp is written as ISO 8601', () => {
    const event = builder.build(eventInput({ event_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', timestamp: new Date(0), repo_size_category: RepoSizeCategory.HUGE }));
    assert.equal(event.event_id, 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
    assert.equal(event.timestamp, '1970-01-01T00:00:00.000Z');
    assert.equal(event.repo_size_category, 'huge');
  });

  it('throws ValidationError naming each bad field', () => {
    assert.throws(
      () => builder.build(eventInput({ task_duration_ms: -1, model: '', harness: 'vim' as Harness })),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.deepEqual(error.issues.map((i) => i.path), ['task_duration_ms', 'harness', 'model']);
        return true;
      },
    );
  });

  it('the caller\'s gate list cannot change a built event', () => {
    const gates: QualityGate[] = [QualityGate.BUILD];
    const event = builder.build(eventInput({ quality_gates_run: gates, outcome: Outcome.PARTIAL }));
    gates.push(QualityGate.LINT);
    assert.deepEqual(event.quality_gates_run, ['build']);
  });
});
