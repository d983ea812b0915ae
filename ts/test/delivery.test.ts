/** The sans-I/O delivery core, driven by hand with a fake clock: no network, no timers. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError, DeadlineError, Delivery, EventQueue, RetryPolicy, emptyStats } from '../src/index.js';
import type { DeliveryOptions, FlushResult, Reply, Step, Steps, TaskCompletionEvent } from '../src/index.js';
import { wireEvent } from './helpers/events.js';

class Clock {
  t = 1000;
  now = (): number => this.t;
}

function setup(options: Partial<DeliveryOptions> & { maxRetries?: number } = {}) {
  const clock = new Clock();
  const queue = new EventQueue(1000);
  const stats = emptyStats();
  const messages: string[] = [];
  const errors: Error[] = [];
  const delivery = new Delivery(queue, new RetryPolicy({ maxRetries: options.maxRetries ?? 3, random: () => 0 }), stats, {
    batchSize: 100,
    targetUrl: 'http://127.0.0.1:1/v1/events/batch',
    requestTimeoutMs: 10_000,
    clock: clock.now,
    reporter: {
      error: (e) => errors.push(e),
      info: (m) => messages.push(m),
      warn: (m) => messages.push(m),
      severe: (m) => messages.push(m),
    },
    ...options,
  });
  return { clock, queue, stats, delivery, messages, errors };
}

function ok(events: readonly TaskCompletionEvent[]): Reply {
  return {
    ok: true,
    response: {
      accepted: events.length,
      rejected: 0,
      results: events.map((e) => ({ event_id: e.event_id, status: 'accepted', error: null })),
    },
  };
}

const fail = (error: unknown): Reply => ({ ok: false, error });

/** Step a flush by hand: `answer` says what the driver replies to each step. */
function drive(steps: Steps, answer: (step: Step) => Reply, clock?: Clock): { steps: Step[]; result: FlushResult } {
  const seen: Step[] = [];
  let reply: Reply;
  for (;;) {
    const next = steps.next(reply);
    if (next.done === true) return { steps: seen, result: next.value };
    seen.push(next.value);
    if (next.value.kind === 'wait' && clock) clock.t += next.value.ms;
    reply = answer(next.value);
  }
}

const sendsOf = (steps: Step[]) => steps.filter((s) => s.kind === 'send');

describe('Delivery (sans-I/O core)', () => {
  it('drains in batches of batchSize (at most 100) and counts delivered', () => {
    const { queue, delivery, stats } = setup({ batchSize: 40 });
    for (let i = 0; i < 90; i += 1) queue.put(wireEvent());
    const { steps, result } = drive(delivery.flush(), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined));
    assert.deepEqual(sendsOf(steps).map((s) => (s.kind === 'send' ? s.batch.events.length : 0)), [40, 40, 10]);
    assert.deepEqual(result, { delivered: 90, dropped: 0, queued: 0 });
    assert.equal(stats.requests, 3);
  });

  it('a backoff wait comes before the retry; the wait is 1 s, then 2 s', () => {
    const { clock, queue, delivery, stats } = setup();
    queue.put(wireEvent());
    let n = 0;
    const { steps } = drive(delivery.flush(), (s) => (s.kind === 'send' ? (n++ < 2 ? fail(new ApiError(503, 'x')) : ok(s.batch.events)) : undefined), clock);
    assert.deepEqual(steps.map((s) => (s.kind === 'wait' ? `wait ${s.ms}` : 'send')), ['send', 'wait 1000', 'send', 'wait 2000', 'send']);
    assert.equal(stats.retries, 2);
    assert.equal(stats.delivered, 1);
  });

  it('Retry-After sets not-before: the next flush waits for it too', () => {
    const { clock, queue, delivery } = setup({ maxRetries: 0 });
    queue.put(wireEvent());
    const first = drive(delivery.flush(), () => fail(new ApiError(429, 'slow down', { retryAfterMs: 5000 })), clock);
    assert.equal(first.result.queued, 1, 'kept after maxRetries');
    assert.equal(delivery.notBefore, 6000);
    clock.t += 1000;
    const second = drive(delivery.flush(), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined), clock);
    assert.deepEqual(second.steps[0], { kind: 'wait', ms: 4000 });
    assert.equal(second.result.delivered, 1);
  });

  it('a wait that would end past the deadline is not started: the batch is put back', () => {
    const { clock, queue, delivery, stats } = setup();
    queue.put(wireEvent());
    delivery.notBefore = clock.t + 5000;
    const { steps, result } = drive(delivery.flush({ deadline: clock.t + 1000 }), () => undefined, clock);
    assert.deepEqual(steps, []);
    assert.deepEqual(result, { delivered: 0, dropped: 0, queued: 1 });
    assert.equal(stats.putBack, 1);
  });

  it('each request is bounded by the time left', () => {
    const { clock, queue, delivery } = setup();
    queue.put(wireEvent());
    const { steps } = drive(delivery.flush({ deadline: clock.t + 2500 }), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined));
    assert.equal(steps[0]?.kind === 'send' && steps[0].timeoutMs, 2500);
  });

  it('stopBy() bounds a running flush; resume() lifts it', () => {
    const { clock, queue, delivery } = setup();
    queue.put(wireEvent());
    delivery.stopBy(clock.t + 300);
    const { steps } = drive(delivery.flush(), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined));
    assert.equal(steps[0]?.kind === 'send' && steps[0].timeoutMs, 300);
    delivery.resume();
    queue.put(wireEvent());
    const again = drive(delivery.flush(), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined));
    assert.equal(again.steps[0]?.kind === 'send' && again.steps[0].timeoutMs, 10_000);
  });

  it('the deadline passing during a request: a timeout reply puts the batch back', () => {
    const { clock, queue, delivery } = setup();
    queue.put(wireEvent());
    const { result } = drive(delivery.flush({ deadline: clock.t + 1000 }), () => {
      clock.t += 1000;
      return fail(new DeadlineError('late'));
    });
    assert.deepEqual(result, { delivered: 0, dropped: 0, queued: 1 });
  });

  it('abandon() puts held batches back; the flush ends at its next step', () => {
    const { queue, delivery, stats } = setup();
    const events = [wireEvent(), wireEvent()];
    for (const e of events) queue.put(e);
    const steps = delivery.flush();
    const first = steps.next();
    assert.equal(first.value && 'kind' in first.value && first.value.kind, 'send');
    assert.equal(delivery.heldCount, 2);
    assert.equal(delivery.abandon(), 2);
    assert.equal(queue.size, 2);
    const end = steps.next(ok(events));
    assert.equal(end.done, true);
    assert.equal(queue.size, 2, 'the late answer is ignored');
    assert.equal(stats.abandoned, 2);
    assert.equal(stats.delivered, 0);
  });

  it('closing a flush early (return()) puts what it holds back', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    const steps = delivery.flush();
    steps.next();
    steps.return({ delivered: 0, dropped: 0, queued: 0 });
    assert.equal(queue.size, 1);
    assert.equal(stats.abandoned, 1);
  });

  it('401/403 drop the batch; 403 is logged once', () => {
    const { queue, delivery, stats, messages } = setup();
    for (let round = 0; round < 2; round += 1) {
      queue.put(wireEvent());
      drive(delivery.flush(), () => fail(new ApiError(403, 'unknown key')));
    }
    assert.equal(stats.dropped, 2);
    assert.equal(messages.filter((m) => m.includes('refused the API key')).length, 1);
  });

  it('403 naming a foreign instance isolates its events', () => {
    const { queue, delivery, stats } = setup();
    const foreign = wireEvent({ instance_id: '00000000-0000-4000-8000-000000000000' });
    const good = wireEvent();
    queue.put(good);
    queue.put(foreign);
    let first = true;
    const { steps, result } = drive(delivery.flush(), (s) => {
      if (s.kind !== 'send') return undefined;
      if (first) {
        first = false;
        return fail(new ApiError(403, `events[1].instance_id ${foreign.instance_id} is not the instance of this API key`));
      }
      return ok(s.batch.events);
    });
    assert.deepEqual(sendsOf(steps).map((s) => (s.kind === 'send' ? s.batch.events.map((e) => e.event_id) : [])).at(-1), [good.event_id]);
    assert.deepEqual(result, { delivered: 1, dropped: 1, queued: 0 });
    assert.equal(stats.isolated, 1);
  });

  it('422 whose detail names no event drops the batch (splitting cannot help)', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    queue.put(wireEvent());
    const body = JSON.stringify({ detail: [{ loc: ['body'], msg: 'bad', type: 'x' }] });
    drive(delivery.flush(), () => fail(new ApiError(422, 'bad', { body })));
    assert.equal(stats.dropped, 2);
  });

  it('413 on a single event isolates it', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    const { result } = drive(delivery.flush(), () => fail(new ApiError(413, 'too large')));
    assert.deepEqual(result, { delivered: 0, dropped: 1, queued: 0 });
    assert.equal(stats.isolated, 1);
  });

  it('the refusal streak restarts when the status changes', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    for (const status of [400, 404, 400, 400]) drive(delivery.flush(), () => fail(new ApiError(status, 'no')));
    assert.equal(stats.droppedRefused, 0);
    drive(delivery.flush(), () => fail(new ApiError(400, 'no')));
    assert.equal(stats.droppedRefused, 1);
    assert.equal(queue.size, 0);
  });

  it('an unexpected error keeps the batch (KEEP), not retried', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    const { steps } = drive(delivery.flush(), () => fail(new RangeError('bug')));
    assert.equal(sendsOf(steps).length, 1);
    assert.equal(queue.size, 1);
    assert.equal(stats.retries, 0);
  });

  it('limit: flush() takes at most what was queued at the call', () => {
    const { queue, delivery } = setup({ batchSize: 2 });
    for (let i = 0; i < 5; i += 1) queue.put(wireEvent());
    const { result } = drive(delivery.flush({ limit: 3 }), (s) => (s.kind === 'send' ? ok(s.batch.events) : undefined));
    assert.deepEqual(result, { delivered: 3, dropped: 0, queued: 2 });
  });

  it('dry run: counted and logged, no send step', () => {
    const { queue, delivery, stats, messages } = setup({ dryRun: true });
    queue.put(wireEvent());
    const { steps } = drive(delivery.flush(), () => undefined);
    assert.deepEqual(steps, []);
    assert.equal(stats.dryRun, 1);
    assert.deepEqual(messages, ['[DRY RUN] Would submit batch of 1 events to http://127.0.0.1:1/v1/events/batch']);
  });

  it('a response without per-event results but with rejections counts them', () => {
    const { queue, delivery, stats } = setup();
    queue.put(wireEvent());
    queue.put(wireEvent());
    drive(delivery.flush(), () => ({ ok: true, response: { accepted: 1, rejected: 1, results: [] } }));
    assert.equal(stats.rejected, 1);
    assert.equal(stats.delivered, 1);
  });
});
