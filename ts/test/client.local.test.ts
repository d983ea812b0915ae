/** The client against the project's real local server: delivery, predictions, auth, options. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Complexity, Provider, TaskType, TelemetryClient } from '../src/index.js';
import type { TelemetryClientOptions } from '../src/index.js';
import { API_KEY, INSTANCE_ID, OTHER_KEY, eventInput, waitFor } from './helpers/events.js';
import { startLocalServer } from './helpers/localServer.js';
import type { LocalServer } from './helpers/localServer.js';

const silent = { warn: () => {}, error: () => {} };

describe('TelemetryClient against the local server', () => {
  let server: LocalServer;
  before(async () => {
    server = await startLocalServer();
  });
  after(async () => {
    await server.stop();
  });

  function client(options: TelemetryClientOptions = {}): TelemetryClient {
    return new TelemetryClient({
      serverUrl: server.url,
      apiKey: API_KEY,
      instanceId: INSTANCE_ID,
      logger: silent,
      ...options,
    });
  }

  it('delivers tracked events on stop(), each stored once', async () => {
    const telemetry = client();
    telemetry.start();
    assert.equal(telemetry.isRunning, true);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const event = telemetry.eventBuilder.build(eventInput({ task_duration_ms: i }));
      ids.push(event.event_id);
      telemetry.track(event);
    }
    assert.equal(telemetry.queueSize, 5);
    await telemetry.stop();
    assert.equal(telemetry.isRunning, false);
    assert.equal(telemetry.queueSize, 0);
    const stored = new Set(server.eventIds());
    for (const id of ids) assert.ok(stored.has(id), `event ${id} stored`);
    assert.equal(telemetry.stats.delivered, 5);
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const telemetry = client({ batchSize: 10, submitIntervalMs: 3_600_000 });
    telemetry.start();
    const ids = Array.from({ length: 25 }, () => {
      const event = telemetry.eventBuilder.build(eventInput());
      telemetry.track(event);
      return event.event_id;
    });
    assert.ok(await waitFor(() => telemetry.stats.delivered >= 20), 'two full batches went out early');
    await telemetry.stop();
    const stored = new Set(server.eventIds());
    assert.ok(ids.every((id) => stored.has(id)));
    assert.equal(telemetry.stats.requests, 3, 'batches of batchSize: 10 + 10 + 5');
  });

  it('flushes every submitIntervalMs', async () => {
    const telemetry = client({ submitIntervalMs: 100 });
    telemetry.start();
    const event = telemetry.eventBuilder.build(eventInput());
    telemetry.track(event);
    assert.ok(await waitFor(() => server.eventIds().includes(event.event_id)), 'delivered by the timer');
    await telemetry.stop();
  });

  it('flush() delivers what is queued and says so, without start()', async () => {
    const telemetry = client();
    for (let i = 0; i < 3; i += 1) telemetry.track(telemetry.eventBuilder.build(eventInput()));
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 3, dropped: 0, queued: 0 });
  });

  it('counts an event the server already has as delivered (duplicate)', async () => {
    const telemetry = client();
    const event = telemetry.eventBuilder.build(eventInput());
    telemetry.track(event);
    await telemetry.flush();
    telemetry.track(event);
    const result = await telemetry.flush();
    assert.equal(result.delivered, 1);
    assert.equal(telemetry.stats.duplicates, 1);
    assert.equal(server.eventIds().filter((id) => id === event.event_id).length, 1);
  });

  it('a wrong API key is a 403: reported to onError, batch dropped, not retried', async () => {
    const errors: Error[] = [];
    const telemetry = client({ apiKey: OTHER_KEY, onError: (error) => errors.push(error) });
    telemetry.track(telemetry.eventBuilder.build(eventInput()));
    telemetry.track(telemetry.eventBuilder.build(eventInput()));
    await telemetry.flush();
    assert.equal(telemetry.stats.requests, 1);
    assert.equal(telemetry.stats.dropped, 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /HTTP 403/);
    assert.ok(!errors[0]!.message.includes(OTHER_KEY), 'the key never appears in errors');
  });

  it('an event for another instance is isolated: the rest of its batch is delivered', async () => {
    const errors: Error[] = [];
    const telemetry = client({ onError: (error) => errors.push(error) });
    const foreign = telemetry.eventBuilder.build(eventInput({ instance_id: '00000000-0000-4000-8000-000000000000' }));
    const good = Array.from({ length: 9 }, () => telemetry.eventBuilder.build(eventInput()));
    for (const event of [...good.slice(0, 4), foreign, ...good.slice(4)]) telemetry.track(event);
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 9, dropped: 1, queued: 0 });
    assert.equal(telemetry.stats.isolated, 1);
    const stored = new Set(server.eventIds());
    assert.ok(good.every((e) => stored.has(e.event_id)));
    assert.ok(!stored.has(foreign.event_id));
    assert.match(errors[0]?.message ?? '', /HTTP 403/);
  });

  it('refreshPredictions() fills the cache; getPrediction() reads it', async () => {
    const telemetry = client();
    // Enough data for an exact-match prediction.
    for (let i = 0; i < 12; i += 1) {
      telemetry.track(telemetry.eventBuilder.build(eventInput({ model: 'model-for-predictions', actual_input_tokens: 1000 * (i + 1) })));
    }
    await telemetry.flush();
    const query = { task_type: TaskType.IMPLEMENTATION, model: 'model-for-predictions', provider: Provider.ANTHROPIC, complexity: Complexity.MEDIUM };
    const empty = { task_type: TaskType.PLANNING, model: 'nothing-here', provider: Provider.OPENAI, complexity: Complexity.LOW };
    assert.equal(telemetry.getPrediction(query), null);
    await telemetry.refreshPredictions([query, empty]);
    const prediction = telemetry.getPrediction(query);
    assert.ok(prediction?.prediction, 'a prediction');
    assert.equal(prediction.metadata.fallback_level, 0);
    assert.equal(prediction.metadata.sample_size, 12);
    assert.equal(prediction.prediction.input_tokens.median, 6500);
    const none = telemetry.getPrediction(empty);
    assert.equal(none?.prediction, null);
    assert.equal(none?.metadata.fallback_level, -1);
  });

  it('predictionCacheTtlMs: entries expire', async () => {
    const telemetry = client({ predictionCacheTtlMs: 50 });
    const query = { task_type: TaskType.TESTING, model: 'm', provider: Provider.OLLAMA, complexity: Complexity.HIGH };
    await telemetry.refreshPredictions([query]);
    assert.notEqual(telemetry.getPrediction(query), null);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(telemetry.getPrediction(query), null);
  });

  it('refreshPredictions() with a wrong key reports to onError and never throws', async () => {
    const errors: Error[] = [];
    const telemetry = client({ apiKey: OTHER_KEY, onError: (error) => errors.push(error) });
    const query = { task_type: TaskType.TESTING, model: 'm', provider: Provider.OLLAMA, complexity: Complexity.HIGH };
    await telemetry.refreshPredictions([query]);
    assert.equal(telemetry.getPrediction(query), null);
    assert.match(errors[0]?.message ?? '', /HTTP 403/);
  });

  it('refreshPredictions() of more than 50 queries splits them', async () => {
    const telemetry = client();
    const queries = Array.from({ length: 120 }, (_, i) => ({
      task_type: TaskType.DEBUGGING, model: `m-${i}`, provider: Provider.GOOGLE, complexity: Complexity.LOW,
    }));
    await telemetry.refreshPredictions(queries);
    assert.ok(queries.every((q) => telemetry.getPrediction(q) !== null));
  });
});
