// The shared behaviour vectors (parity/vectors/*.json), run against the built TypeScript package
// (ts/dist). parity/test_vectors.py runs the same files against the Python package; the two
// runners map the vectors onto each package's own API the same way (docs/parity.md).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { differences, number } from './canonical.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.PARITY_ROOT ?? path.resolve(here, '..', '..');
const vectorsDir = path.join(root, 'parity', 'vectors');
const pkg = await import(pathToFileURL(path.join(root, 'ts', 'dist', 'index.js')).href);

const files = Object.fromEntries(
  readdirSync(vectorsDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => [name.slice(0, -5), JSON.parse(readFileSync(path.join(vectorsDir, name), 'utf8'))]),
);

// -- a real local server that records request bodies, and a real connection error ------------

let server;
let baseUrl;
const bodies = [];
let connectionError;

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(202, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ accepted: 1, rejected: 0, results: [] }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((resolve) => closed.close(resolve));
  connectionError = await fetch(deadUrl).then(
    () => assert.fail('a closed port answered'),
    (error) => error,
  );
});

after(() => server?.close());

// -- runners -----------------------------------------------------------------------------------

function build(fields) {
  return new pkg.EventBuilder(fields.instance_id).build(fields);
}

async function wire(event) {
  bodies.length = 0;
  await pkg.generated.submitEventsBatch({ baseUrl }, { events: [event] });
  return JSON.parse(bodies[0]).events[0];
}

function fieldsNamed(issues) {
  return [...new Set(issues.map((issue) => issue.path.split(/[.[]/)[0]))].sort();
}

const runners = {
  async build(vector) {
    const found = differences(vector.wire, await wire(build(vector.input)));
    assert.deepEqual(found, [], `wire JSON differs: ${found.join('; ')}`);
  },

  validation(vector, data) {
    const fields = { ...data.bases[vector.target], ...vector.set };
    let issues = [];
    if (vector.target === 'event') {
      try {
        build(fields);
      } catch (error) {
        if (!(error instanceof pkg.ValidationError)) throw error;
        issues = error.issues;
      }
    } else {
      issues = pkg.generated.validatePredictionQuery(fields);
    }
    const named = fieldsNamed(issues);
    if (vector.rejects === undefined) {
      assert.deepEqual(named, [], `rejected (naming ${named.join(', ')}) but should be accepted`);
    } else {
      assert.ok(named.length > 0, `accepted but should be rejected naming ${vector.rejects}`);
      assert.ok(named.includes(vector.rejects), `rejected naming ${named.join(', ')}, not ${vector.rejects}`);
    }
  },

  retry_after(vector, data) {
    const ms = pkg.parseRetryAfter(vector.header, data.now_s * 1000);
    const seconds = ms === null ? null : ms / 1000;
    if (vector.seconds === null || seconds === null) {
      assert.equal(seconds, vector.seconds, `expected ${vector.seconds}, got ${seconds}`);
    } else {
      assert.ok(close(vector.seconds, seconds), `expected ${vector.seconds}, got ${seconds}`);
    }
  },

  retry(vector, data) {
    const error = failure(vector.failure, data.now_s * 1000);
    // Jitter at both ends of its range: both delays must fall inside the vector's bounds.
    for (const draw of [0, 1]) {
      const policy = new pkg.RetryPolicy({ maxRetries: vector.max_retries ?? 3, random: () => draw });
      const decision = policy.decide(error, vector.retries_done);
      assert.equal(decision.action, vector.action, `expected ${vector.action}, got ${decision.action}`);
      if (decision.action === 'retry') {
        const [low, high] = vector.delay_s;
        const delay = decision.delayMs / 1000;
        const inside = (low <= delay && delay <= high) || close(low, delay) || close(high, delay);
        assert.ok(inside, `delay ${delay} s outside [${low}, ${high}] (jitter draw ${draw})`);
      }
      if (vector.indexes !== undefined) {
        const indexes = [...(decision.indexes ?? [])].sort((a, b) => a - b);
        assert.deepEqual(indexes, vector.indexes, `indexes ${indexes}, expected ${vector.indexes}`);
      }
      if (vector.instance_id !== undefined) {
        const found = decision.instanceId ?? null;
        assert.equal(found, vector.instance_id, `instance_id ${found}, expected ${vector.instance_id}`);
      }
    }
  },

  queue(vector) {
    const queue = new pkg.EventQueue(vector.max_size);
    const events = new Map();
    const labels = new Map();
    const eventFor = (label) => {
      if (!events.has(label)) {
        const { event_id: _fixed, ...fields } = files.validation.bases.event; // a fresh id each
        const event = build(fields);
        events.set(label, event);
        labels.set(event, label);
      }
      return events.get(label);
    };
    const named = (batch) => batch.map((event) => labels.get(event));
    vector.ops.forEach((op, step) => {
      if ('put' in op) queue.put(eventFor(op.put));
      else if ('drain' in op) {
        const drained = named(queue.drain(op.drain));
        assert.deepEqual(drained, op.expect, `op ${step} drain: expected ${op.expect}, got ${drained}`);
      } else queue.putBack(op.put_back.map(eventFor));
    });
    const final = named(queue.drain(queue.size));
    assert.deepEqual(final, vector.queue, `final queue: expected ${vector.queue}, got ${final}`);
    assert.equal(queue.evicted, vector.evicted, `evicted: expected ${vector.evicted}, got ${queue.evicted}`);
  },

  cache(vector) {
    let nowMs = 0;
    const cache = new pkg.PredictionCache(vector.ttl_s * 1000, () => nowMs);
    vector.ops.forEach((op, step) => {
      nowMs = op.at_s * 1000;
      if ('put' in op) cache.put(op.put, prediction(op.value));
      else if ('clear' in op) cache.clear();
      else {
        const label = cache.get(op.get)?.metadata.fallback_note ?? null;
        assert.equal(label, op.expect, `op ${step} get at ${op.at_s} s: expected ${op.expect}, got ${label}`);
      }
    });
  },

  delivery(vector) {
    let nowMs = 0;
    const queue = new pkg.EventQueue(1000);
    const labels = new Map();
    const { event_id: _fixed, ...base } = files.validation.bases.event;
    for (const entry of vector.queue) {
      const [label, instanceId] = typeof entry === 'string' ? [entry, base.instance_id] : [entry.label, entry.instance_id];
      const event = build({ ...base, instance_id: instanceId });
      labels.set(event.event_id, label);
      queue.put(event);
    }
    const stats = pkg.emptyStats();
    const policy = new pkg.RetryPolicy({ maxRetries: vector.max_retries ?? 3, random: () => 0 });
    const quiet = { error() {}, info() {}, warn() {}, severe() {} };
    const delivery = new pkg.Delivery(queue, policy, stats, {
      batchSize: vector.batch_size,
      targetUrl: 'http://parity.invalid/v1/events/batch',
      requestTimeoutMs: 10_000,
      clock: () => nowMs,
      reporter: quiet,
    });
    const replies = [...vector.replies];
    const flushes = vector.flushes.map(() => {
      const steps = [];
      const flush = delivery.flush();
      let reply;
      for (;;) {
        const next = flush.next(reply);
        if (next.done) break;
        const step = next.value;
        if (step.kind === 'wait') {
          steps.push(`wait ${number(Math.round(step.ms * 1000) / 1e6)}`);
          nowMs += step.ms;
          reply = undefined;
        } else {
          const batch = step.batch.events;
          steps.push(`send ${batch.map((event) => labels.get(event.event_id)).join(',')}`);
          const spec = replies.shift();
          assert.ok(spec !== undefined, `no scripted reply left for ${steps.at(-1)}`);
          reply = answer(spec, batch, labels);
        }
      }
      return steps;
    });
    assert.deepEqual(flushes, vector.flushes, `steps: expected ${JSON.stringify(vector.flushes)}, got ${JSON.stringify(flushes)}`);
    const final = queue.drain(queue.size).map((event) => labels.get(event.event_id));
    assert.deepEqual(final, vector.final_queue, `queue: expected ${vector.final_queue}, got ${final}`);
    const counters = Object.fromEntries(Object.keys(vector.stats).map((name) => [name, stats[camel(name)]]));
    assert.deepEqual(counters, vector.stats, `counters: expected ${JSON.stringify(vector.stats)}, got ${JSON.stringify(counters)}`);
  },

  config(vector) {
    for (const name of Object.keys(process.env)) if (name.startsWith('MOSAIC_TELEMETRY_')) delete process.env[name];
    Object.assign(process.env, vector.env);
    const options = {};
    for (const [name, value] of Object.entries(vector.options)) {
      const [tsName, factor] = option(name);
      options[tsName] = typeof value === 'number' ? value * factor : value;
    }
    const resolved = pkg.resolveConfig(options);
    const wrong = {};
    for (const [name, value] of Object.entries(vector.expect)) {
      const [tsName, factor] = option(name);
      const got = typeof resolved[tsName] === 'number' ? resolved[tsName] / factor : resolved[tsName];
      if (got !== value) wrong[name] = got;
    }
    assert.deepEqual(wrong, {}, `resolved differently: ${JSON.stringify(wrong)} (expected ${JSON.stringify(vector.expect)})`);
    const problems = pkg.validateConfig(resolved).map((message) => pythonName(message.split(' ')[0])).sort();
    assert.deepEqual(problems, [...vector.problems].sort(), `validation problems: expected ${vector.problems}, got ${problems}`);
  },
};

function close(expected, actual) {
  return Math.abs(expected - actual) <= 1e-9 * Math.max(1, Math.abs(expected));
}

function failure(spec, nowMs) {
  if (spec.error === 'timeout') return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  if (spec.error === 'connection') return connectionError;
  if (spec.error === 'unexpected') return new Error('a bug, not a network problem');
  const header = spec.headers?.['Retry-After'] ?? null;
  const body = spec.body === undefined ? '' : JSON.stringify(spec.body);
  return new pkg.ApiError(spec.status, spec.detail ?? 'parity', { retryAfterMs: pkg.parseRetryAfter(header, nowMs), body });
}

function answer(spec, batch, labels) {
  if (!spec.accept) return { ok: false, error: failure(spec, 0) };
  const refused = spec.reject ?? {};
  const results = batch.map((event) => {
    const label = labels.get(event.event_id);
    return label in refused
      ? { event_id: event.event_id, status: 'rejected', error: refused[label] }
      : { event_id: event.event_id, status: 'accepted', error: null };
  });
  const rejected = results.filter((r) => r.status === 'rejected').length;
  return { ok: true, response: { accepted: batch.length - rejected, rejected, results } };
}

function camel(text) {
  return text.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

function prediction(label) {
  return { prediction: null, metadata: { sample_size: 0, fallback_level: -1, confidence: 'none', fallback_note: label } };
}

// The documented mapping: snake_case -> camelCase, `_seconds` -> `Ms` (values x 1000).
function option(name) {
  const camel = (text) => text.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  return name.endsWith('_seconds') ? [`${camel(name.slice(0, -8))}Ms`, 1000] : [camel(name), 1];
}

function pythonName(name) {
  const snake = (text) => text.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return name.endsWith('Ms') ? `${snake(name.slice(0, -2))}_seconds` : snake(name);
}

// -- the tests -----------------------------------------------------------------------------------

const results = { passed: 0, failed: 0 };

test('every vector file has a runner', () => {
  assert.deepEqual(Object.keys(files).sort(), Object.keys(runners).sort());
});

const total = Object.values(files).reduce((sum, data) => sum + data.vectors.length, 0);
test('at least 150 vectors', () => assert.ok(total >= 150, `${total} vectors`));

for (const [kind, data] of Object.entries(files)) {
  for (const vector of data.vectors) {
    test(`vector ${kind}/${vector.name}`, async () => {
      try {
        await runners[kind](vector, data);
        results.passed += 1;
      } catch (error) {
        results.failed += 1;
        // One line the gate (python -m parity) reads, whatever the reporter.
        console.log(`parity vector failed: ${kind}/${vector.name}: ${String(error?.message ?? error).split('\n')[0]}`);
        throw error;
      }
    });
  }
}

after(() => {
  const ran = results.passed + results.failed;
  console.log(`parity vectors run by node --test: ${ran} (${results.passed} passed, ${results.failed} failed)`);
});
