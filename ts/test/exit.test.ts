/** Process exit: a forgotten stop() loses nothing (beforeExit), an idle client never holds the process. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { API_KEY, INSTANCE_ID } from './helpers/events.js';
import { FaultServer } from './helpers/faultServer.js';
import { runScript } from './helpers/subprocess.js';

describe('process exit', () => {
  let server: FaultServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await new FaultServer().start();
    env = {
      MOSAIC_TELEMETRY_SERVER_URL: server.url,
      MOSAIC_TELEMETRY_API_KEY: API_KEY,
      MOSAIC_TELEMETRY_INSTANCE_ID: INSTANCE_ID,
      MOSAIC_TELEMETRY_ENABLED: '',
    };
  });
  after(async () => {
    await server.close();
  });

  it('events queued when the event loop empties are flushed before exit', async () => {
    const run = await runScript('fixtures/forgot-stop.js', env, ['3']);
    assert.equal(run.code, 0, run.stderr);
    const ids = run.stdout.trim().split('\n');
    assert.equal(ids.length, 3);
    assert.ok(ids.every((id) => server.stored.has(id)), 'all delivered by the beforeExit flush');
  });

  it('the exit flush honours Retry-After within the shutdown deadline', async () => {
    server.push({ status: 429, headers: { 'Retry-After': '1' } });
    const run = await runScript('fixtures/forgot-stop.js', env, ['2']);
    assert.equal(run.code, 0, run.stderr);
    const ids = run.stdout.trim().split('\n');
    assert.ok(ids.every((id) => server.stored.has(id)));
    const posts = server.eventPosts().filter((r) => r.body.includes(ids[0]!));
    assert.equal(posts.length, 2);
    assert.ok(posts[1]!.receivedAt - posts[0]!.receivedAt >= 990);
  });

  it('the exit flush is bounded: a server that never answers cannot hold the process', async () => {
    server.push({ hang: true }, { hang: true }, { hang: true });
    const run = await runScript('fixtures/forgot-stop.js', { ...env, MOSAIC_TELEMETRY_ENABLED: 'true' }, ['2']);
    assert.equal(run.code, 0);
    // shutdownTimeoutMs defaults to 10 s; node start-up and the deadline plus a margin.
    assert.ok(run.ms < 16_000, `exited after ${run.ms} ms`);
    assert.match(run.stderr, /2 telemetry events are still queued/);
    server.clearScript();
  });

  it('an idle started client does not keep the process alive', async () => {
    const run = await runScript('fixtures/idle.js', env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'running');
    assert.ok(run.ms < 10_000, `exited after ${run.ms} ms (the 5 min interval timer is unref()ed)`);
  });

  it('MOSAIC_TELEMETRY_ENABLED=false turns the client off whatever the code says', async () => {
    const run = await runScript('fixtures/idle.js', { ...env, MOSAIC_TELEMETRY_ENABLED: 'false' });
    assert.equal(run.stdout.trim(), 'not running');
  });
});
