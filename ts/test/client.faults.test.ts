/** The client against a misbehaving server: retries, Retry-After, drops, isolation, shutdown. */

import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';

import { TelemetryClient } from '../src/index.js';
import type { TelemetryClientOptions } from '../src/index.js';
import { API_KEY, INSTANCE_ID, eventInput, waitFor } from './helpers/events.js';
import { FaultServer } from './helpers/faultServer.js';

describe('TelemetryClient against a fault-injecting server', () => {
  let server: FaultServer;
  let errors: Error[];
  let logs: string[];

  before(async () => {
    server = await new FaultServer().start();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.clearScript();
    errors = [];
    logs = [];
  });

  function client(options: TelemetryClientOptions = {}): TelemetryClient {
    const log = (message: string): void => {
      logs.push(message);
    };
    return new TelemetryClient({
      serverUrl: server.url,
      apiKey: API_KEY,
      instanceId: INSTANCE_ID,
      submitIntervalMs: 3_600_000,
      onError: (error) => errors.push(error),
      logger: { debug: log, info: log, warn: log, error: log },
      ...options,
    });
  }

  function trackSome(telemetry: TelemetryClient, count: number): string[] {
    return Array.from({ length: count }, () => {
      const event = telemetry.eventBuilder.build(eventInput());
      telemetry.track(event);
      return event.event_id;
    });
  }

  function times(ids: string[]): number[] {
    return server
      .eventPosts()
      .filter((r) => ids.some((id) => r.body.includes(id)))
      .map((r) => r.receivedAt);
  }

  it('retries a 5xx with backoff (about 1 s) and then delivers', async () => {
    server.push({ status: 503 });
    const telemetry = client();
    const ids = trackSome(telemetry, 3);
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 3, dropped: 0, queued: 0 });
    const [first, second] = times(ids);
    assert.ok(second! - first! >= 850, `backoff waited ${second! - first!} ms`);
    assert.equal(telemetry.stats.retries, 1);
    assert.match(errors[0]!.message, /HTTP 503/);
  });

  it('retries after a connection reset', async () => {
    server.push({ drop: true });
    const telemetry = client();
    const ids = trackSome(telemetry, 2);
    const result = await telemetry.flush();
    assert.equal(result.delivered, 2);
    assert.ok(ids.every((id) => server.stored.has(id)));
    assert.match(errors[0]!.message, /fetch failed/);
  });

  it('retries after a request timeout (requestTimeoutMs)', async () => {
    server.push({ hang: true });
    const telemetry = client({ requestTimeoutMs: 300 });
    const ids = trackSome(telemetry, 2);
    const started = performance.now();
    const result = await telemetry.flush();
    assert.equal(result.delivered, 2);
    assert.ok(ids.every((id) => server.stored.has(id)));
    assert.equal(errors[0]!.name, 'TimeoutError');
    assert.ok(performance.now() - started >= 300 + 850);
  });

  it('honours Retry-After on 429: no request before it expires', async () => {
    server.push({ status: 429, headers: { 'Retry-After': '2' } });
    const telemetry = client();
    const ids = trackSome(telemetry, 2);
    const result = await telemetry.flush();
    assert.equal(result.delivered, 2);
    const [first, second] = times(ids);
    assert.ok(second! - first! >= 1990, `retried after ${second! - first!} ms`);
    assert.match(errors[0]!.message, /HTTP 429/);
  });

  it('a Retry-After longer than the deadline: stop() sends nothing and keeps the events', async () => {
    server.push({ status: 429, headers: { 'Retry-After': '30' } });
    const telemetry = client();
    telemetry.start();
    const ids = trackSome(telemetry, 4);
    const flushed = await telemetry.flush({ timeoutMs: 500 });
    assert.deepEqual(flushed, { delivered: 0, dropped: 0, queued: 4 });
    const started = performance.now();
    await telemetry.stop({ timeoutMs: 1000 });
    assert.ok(performance.now() - started < 500, 'a wait past the deadline is not started');
    assert.equal(times(ids).length, 1, 'only the first request went out');
    assert.equal(telemetry.queueSize, 4);
  });

  it('gives up after maxRetries and keeps the batch for the next cycle', async () => {
    server.push({ status: 500 }, { status: 500 });
    const telemetry = client({ maxRetries: 1 });
    trackSome(telemetry, 3);
    const first = await telemetry.flush();
    assert.deepEqual(first, { delivered: 0, dropped: 0, queued: 3 });
    assert.equal(telemetry.stats.requests, 2);
    assert.equal(telemetry.stats.putBack, 3);
    const second = await telemetry.flush();
    assert.equal(second.delivered, 3);
  });

  it('401 and 403 are not retried: the batch is dropped and counted', async () => {
    for (const status of [401, 403]) {
      server.push({ status });
      const telemetry = client();
      trackSome(telemetry, 2);
      const result = await telemetry.flush();
      assert.deepEqual(result, { delivered: 0, dropped: 2, queued: 0 });
      assert.equal(telemetry.stats.requests, 1);
      assert.match(errors.at(-1)!.message, new RegExp(`HTTP ${status}`));
    }
  });

  it('413: splits the batch until it fits', async () => {
    server.push({ status: 413 });
    const telemetry = client();
    const ids = trackSome(telemetry, 4);
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 4, dropped: 0, queued: 0 });
    assert.equal(telemetry.stats.requests, 3);
    assert.ok(ids.every((id) => server.stored.has(id)));
  });

  it('422 naming events: drops only those, delivers the rest', async () => {
    server.push({
      status: 422,
      json: { detail: [{ loc: ['body', 'events', 1, 'model'], msg: 'too long', type: 'string_too_long' }] },
    });
    const telemetry = client();
    const ids = trackSome(telemetry, 3);
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 2, dropped: 1, queued: 0 });
    assert.equal(telemetry.stats.isolated, 1);
    assert.ok(server.stored.has(ids[0]!) && server.stored.has(ids[2]!) && !server.stored.has(ids[1]!));
  });

  it('a batch refused 3 times in a row with the same status is dropped; the queue moves on', async () => {
    server.push({ status: 400 }, { status: 400 }, { status: 400 });
    const telemetry = client();
    trackSome(telemetry, 2);
    assert.equal((await telemetry.flush()).queued, 2);
    assert.equal((await telemetry.flush()).queued, 2);
    const third = await telemetry.flush();
    assert.deepEqual(third, { delivered: 0, dropped: 2, queued: 0 });
    assert.equal(telemetry.stats.droppedRefused, 2);
  });

  it('per-event rejections are counted and reported; duplicates count as delivered', async () => {
    const telemetry = client();
    const [id] = trackSome(telemetry, 1);
    server.push({
      json: {
        accepted: 0,
        rejected: 1,
        results: [{ event_id: id, status: 'rejected', error: 'model is not allowed' }],
      },
    });
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 0, dropped: 1, queued: 0 });
    assert.equal(telemetry.stats.rejected, 1);
    assert.match(errors[0]!.message, /rejected by server: model is not allowed/);
  });

  it('a 2xx with an unparseable body is retried (a resend is deduplicated)', async () => {
    server.push({ status: 202, raw: 'not json' });
    const telemetry = client();
    const ids = trackSome(telemetry, 2);
    const result = await telemetry.flush();
    assert.equal(result.delivered, 2);
    assert.ok(ids.every((id) => server.stored.has(id)));
  });

  it('exactly once: every event stored once whatever the faults', async () => {
    const telemetry = client({ requestTimeoutMs: 400, maxQueueSize: 2000, maxRetries: 10 });
    // One fault per batch at most (a healthy answer between), so backoffs stay at about 1 s.
    server.push(
      { status: 503 }, {},
      { dropAfterStore: true }, {},
      { status: 429, headers: { 'Retry-After': '0' } }, {},
      { drop: true }, {},
      { dropAfterStore: true }, {},
      { hang: true }, {},
      { dropAfterStore: true },
    );
    const ids = trackSome(telemetry, 1000);
    for (let cycle = 0; cycle < 10 && telemetry.queueSize > 0; cycle += 1) await telemetry.flush({ timeoutMs: 60_000 });
    assert.equal(telemetry.queueSize, 0);
    const stored = new Set(server.stored.keys());
    const missing = ids.filter((id) => !stored.has(id));
    assert.deepEqual(missing, []);
    assert.ok([...server.received.values()].some((n) => n > 1), 'some batches were resent');
    assert.equal(telemetry.stats.delivered, 1000);
    assert.ok(telemetry.stats.duplicates >= 1);
  });

  it('exactly once through the background worker: bursts, faults, then stop()', async () => {
    const telemetry = client({ submitIntervalMs: 50, batchSize: 20, maxQueueSize: 5000, requestTimeoutMs: 500, maxRetries: 5 });
    server.push(
      {}, { status: 500 }, {}, { dropAfterStore: true }, {}, { status: 429, headers: { 'Retry-After': '0' } },
      {}, { drop: true }, {}, { dropAfterStore: true }, {}, { status: 503 },
    );
    telemetry.start();
    const ids: string[] = [];
    for (let burst = 0; burst < 10; burst += 1) {
      ids.push(...trackSome(telemetry, 50));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await telemetry.stop({ timeoutMs: 30_000 });
    assert.equal(telemetry.queueSize, 0);
    assert.deepEqual(ids.filter((id) => !server.stored.has(id)), []);
    assert.equal(telemetry.stats.delivered, 500);
    assert.equal(telemetry.stats.dropped + telemetry.stats.evicted + telemetry.stats.rejected, 0);
  });

  it('stop() against a server that never answers returns by the deadline and keeps every event', async () => {
    server.push({ hang: true }, { hang: true }, { hang: true });
    const telemetry = client({ batchSize: 5 });
    telemetry.start();
    trackSome(telemetry, 5); // a full batch: the background cycle sends it at once
    assert.ok(await waitFor(() => server.eventPosts().length > 0 && telemetry.queueSize === 0));
    const started = performance.now();
    await telemetry.stop({ timeoutMs: 1000 });
    const took = performance.now() - started;
    assert.ok(took >= 900 && took < 2500, `stop() took ${took} ms`);
    assert.equal(telemetry.queueSize, 5, 'the in-flight batch was put back');
    assert.equal(telemetry.stats.abandoned, 5);
    assert.equal(telemetry.isRunning, false);
  });

  it('stop() against a server that trickles its answer returns by the deadline', async () => {
    server.push({ trickleMs: 200 }, { trickleMs: 200 });
    const telemetry = client();
    telemetry.start();
    trackSome(telemetry, 3);
    const started = performance.now();
    await telemetry.stop({ timeoutMs: 1200 });
    const took = performance.now() - started;
    assert.ok(took < 2700, `stop() took ${took} ms`);
    assert.equal(telemetry.queueSize, 3);
  });

  it('shutdownTimeoutMs is the default deadline of stop() and flush()', async () => {
    server.push({ hang: true });
    const telemetry = client({ shutdownTimeoutMs: 600 });
    trackSome(telemetry, 1);
    const started = performance.now();
    const result = await telemetry.flush();
    const took = performance.now() - started;
    assert.ok(took >= 550 && took < 2000, `flush() took ${took} ms`);
    assert.deepEqual(result, { delivered: 0, dropped: 0, queued: 1 });
  });

  it('sends the API key only in the Authorization header, and a User-Agent', async () => {
    const telemetry = client({ userAgent: 'test-agent/1.0' });
    trackSome(telemetry, 1);
    await telemetry.flush();
    const request = server.eventPosts().at(-1)!;
    assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(request.headers['user-agent'], 'test-agent/1.0');
    assert.equal(request.headers['content-type'], 'application/json');
    const shown = `${inspect(telemetry)} ${JSON.stringify(telemetry)} ${String(telemetry)} ${logs.join(' ')}`;
    assert.ok(!shown.includes(API_KEY));
  });

  it('the default User-Agent names the TypeScript client', async () => {
    const telemetry = client();
    trackSome(telemetry, 1);
    await telemetry.flush();
    assert.match(String(server.eventPosts().at(-1)!.headers['user-agent']), /^mosaicstack-telemetry-typescript\/\d+\.\d+\.\d+/);
  });

  it('dryRun: logs each batch and sends nothing', async () => {
    const before = server.requests.length;
    const telemetry = client({ dryRun: true, batchSize: 2 });
    trackSome(telemetry, 3);
    await telemetry.flush();
    await telemetry.refreshPredictions([{ task_type: 'testing', model: 'm', provider: 'openai', complexity: 'low' }]);
    assert.equal(server.requests.length, before);
    assert.equal(telemetry.stats.dryRun, 3);
    assert.ok(logs.some((m) => m === `[DRY RUN] Would submit batch of 2 events to ${server.url}/v1/events/batch`));
  });

  it('maxEventAgeMs: events older than that are dropped, not sent', async () => {
    const telemetry = client({ maxEventAgeMs: 60_000 });
    const old = telemetry.eventBuilder.build(eventInput({ timestamp: new Date(Date.now() - 120_000) }));
    const fresh = telemetry.eventBuilder.build(eventInput());
    telemetry.track(old);
    telemetry.track(fresh);
    const result = await telemetry.flush();
    assert.deepEqual(result, { delivered: 1, dropped: 1, queued: 0 });
    assert.equal(telemetry.stats.droppedStale, 1);
    assert.ok(!server.stored.has(old.event_id));
  });

  it('batchSize above 100 is capped at the server maximum', async () => {
    const telemetry = client({ batchSize: 500, maxQueueSize: 1000 });
    const before = server.eventPosts().length;
    trackSome(telemetry, 250);
    await telemetry.flush();
    const sizes = server.eventPosts().slice(before).map((r) => (JSON.parse(r.body) as { events: unknown[] }).events.length);
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.ok(logs.some((m) => m.includes('batchSize must be between 1 and 100')));
  });

  it('maxQueueSize: the oldest events are evicted, counted and warned about once', async () => {
    const telemetry = client({ maxQueueSize: 5 });
    const ids = trackSome(telemetry, 8);
    assert.equal(telemetry.queueSize, 5);
    assert.equal(telemetry.stats.evicted, 3);
    assert.equal(logs.filter((m) => m.includes('queue is full')).length, 1);
    await telemetry.flush();
    assert.ok(ids.slice(3).every((id) => server.stored.has(id)));
    assert.ok(ids.slice(0, 3).every((id) => !server.stored.has(id)));
  });

  it('enabled: false — track() and start() do nothing', async () => {
    const telemetry = client({ enabled: false });
    telemetry.start();
    trackSome(telemetry, 2);
    assert.equal(telemetry.isRunning, false);
    assert.equal(telemetry.queueSize, 0);
    await telemetry.stop();
    assert.deepEqual(await telemetry.flush(), { delivered: 0, dropped: 0, queued: 0 });
  });

  it('track() never throws: invalid input is counted and reported', () => {
    const telemetry = client();
    assert.doesNotThrow(() => telemetry.track(null as never));
    assert.doesNotThrow(() => telemetry.track({ model: 'x' } as never));
    const poisoned = new Proxy({}, { get: () => { throw new Error('boom'); }, ownKeys: () => { throw new Error('boom'); } });
    assert.doesNotThrow(() => telemetry.track(poisoned as never));
    assert.equal(telemetry.stats.invalid, 3);
    assert.equal(telemetry.queueSize, 0);
    assert.match(errors[1]!.message, /task_duration_ms: is required/);
  });

  it('without onError, errors go to the logger as warnings (never thrown)', async () => {
    server.push({ status: 401 });
    const warnings: string[] = [];
    const telemetry = new TelemetryClient({
      serverUrl: server.url, apiKey: API_KEY, instanceId: INSTANCE_ID, logger: { warn: (m) => warnings.push(m) },
    });
    telemetry.track(telemetry.eventBuilder.build(eventInput()));
    await telemetry.flush();
    assert.ok(warnings.some((m) => m.startsWith('HTTP 401: scripted 401')), warnings.join('\n'));
  });

  it('a valid event literal (not from build()) is accepted by track()', async () => {
    const telemetry = client();
    const built = telemetry.eventBuilder.build(eventInput());
    telemetry.track({ ...built, event_id: '5f0c6d38-8c84-4c3e-9a8e-0d4c3c0b6a11' });
    assert.equal(telemetry.queueSize, 1);
  });
});
