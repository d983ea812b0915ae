/**
 * The project's real local server (`mosaic-telemetry serve`) on a free 127.0.0.1 port with a
 * temporary database and known credentials, started from the repository's .venv.
 */

import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { API_KEY, INSTANCE_ID } from './events.js';

// build-test/test/helpers -> the repository root is four levels up.
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CLI = process.env.MOSAIC_TS_TEST_CLI ?? join(REPO, '.venv', 'bin', 'mosaic-telemetry');
const PYTHON = process.env.MOSAIC_TS_TEST_PYTHON ?? join(REPO, '.venv', 'bin', 'python');

export interface LocalServer {
  url: string;
  apiKey: string;
  instanceId: string;
  dbPath: string;
  /** The event_ids stored in the server's database. */
  eventIds(): string[];
  stop(): Promise<void>;
}

/** Start `mosaic-telemetry serve --port 0`; resolves once it printed its URL. */
export async function startLocalServer(extraArgs: string[] = []): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mosaic-ts-test-'));
  const dbPath = join(dir, 'telemetry.db');
  const child: ChildProcess = spawn(
    CLI,
    ['serve', '--host', '127.0.0.1', '--port', '0', '--db', dbPath, '--log-level', 'warning', ...extraArgs],
    {
      env: {
        ...process.env,
        MOSAIC_TELEMETRY_SERVE_API_KEY: API_KEY,
        MOSAIC_TELEMETRY_SERVE_INSTANCE_ID: INSTANCE_ID,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`local server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /local server on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local server exited with ${code}:\n${output}`));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${CLI} (run \`make install\` first): ${error.message}`));
    });
  });
  // uvicorn prints the URL before it accepts connections; wait until it answers.
  await waitUntilServing(url);
  return {
    url,
    apiKey: API_KEY,
    instanceId: INSTANCE_ID,
    dbPath,
    eventIds() {
      const code =
        'import sqlite3, sys, json; db = sqlite3.connect(sys.argv[1]); ' +
        'print(json.dumps([r[0] for r in db.execute("SELECT event_id FROM events")]))';
      return JSON.parse(execFileSync(PYTHON, ['-c', code, dbPath]).toString()) as string[];
    },
    async stop() {
      child.removeAllListeners('exit');
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(url: string): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${url}/v1/events/batch`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) });
      return;
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
