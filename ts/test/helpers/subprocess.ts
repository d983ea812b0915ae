/** Run a compiled test script in a child Node process, with a time limit. */

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Run build-test/test/<script> with node; rejects if it is still running after timeoutMs. */
export function runScript(script: string, env: NodeJS.ProcessEnv, args: string[] = [], timeoutMs = 30_000): Promise<Finished> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(TEST_DIR, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
