/** The integration guide's examples, compiled by tsc, run against the local server. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Complexity, Provider, TaskType, TelemetryClient } from '../src/index.js';
import { eventInput } from './helpers/events.js';
import { startLocalServer } from './helpers/localServer.js';
import type { LocalServer } from './helpers/localServer.js';
import { runScript } from './helpers/subprocess.js';

describe("the integration guide's examples", () => {
  let server: LocalServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startLocalServer();
    // The guide's .env: only the URL and key differ.
    env = {
      TELEMETRY_API_URL: server.url,
      TELEMETRY_API_KEY: server.apiKey,
      TELEMETRY_INSTANCE_ID: server.instanceId,
      MOSAIC_TELEMETRY_ENABLED: '',
    };
  });
  after(async () => {
    await server.stop();
  });

  it('Node.js service: runTask() tracks, SIGTERM stops the client after the final flush, exit 0', async () => {
    const before = new Set(server.eventIds());
    const run = await runScript('fixtures/run-node-service.js', env);
    assert.equal(run.code, 0, run.stderr);
    const added = server.eventIds().filter((id) => !before.has(id));
    assert.equal(added.length, 1, run.stderr);
  });

  it('Next.js singleton: one client, events delivered in production', async () => {
    const run = await runScript('fixtures/run-nextjs.js', { ...env, NODE_ENV: 'production' });
    assert.equal(run.code, 0, run.stderr);
    const [id, state] = run.stdout.trim().split('\n');
    assert.equal(state, 'running');
    assert.ok(server.eventIds().includes(id!));
  });

  it('Next.js singleton: disabled outside production, nothing sent', async () => {
    const run = await runScript('fixtures/run-nextjs.js', { ...env, NODE_ENV: 'development' });
    assert.equal(run.code, 0, run.stderr);
    const [id, state] = run.stdout.trim().split('\n');
    assert.equal(state, 'disabled');
    assert.ok(!server.eventIds().includes(id!));
  });

  it('Using predictions: refresh, read, print the figures', async () => {
    const seed = new TelemetryClient({ serverUrl: server.url, apiKey: server.apiKey, instanceId: server.instanceId });
    for (let i = 0; i < 12; i += 1) {
      seed.track(seed.eventBuilder.build(eventInput({
        task_type: TaskType.IMPLEMENTATION, model: 'claude-sonnet-4-5-20250929', provider: Provider.ANTHROPIC, complexity: Complexity.MEDIUM,
      })));
    }
    assert.equal((await seed.flush()).delivered, 12);
    const run = await runScript('examples/node-service/src/predictions.js', env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Token predictions \(median\): \{ inputTokens: \d+, outputTokens: \d+ \}/);
    assert.match(run.stdout, /Cost prediction: \$\d+\.\d\d/);
    assert.match(run.stdout, /Quality: \{ gatePassRate: '\d+%', successRate: '\d+%' \}/);
  });
});
