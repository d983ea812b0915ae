// One run of one TypeScript-client figure for `make bench` (benchmarks/ts_figures.py runs it).
//
//   node benchmarks/ts_bench.mjs track|throughput|stop SINK_URL
//
// Prints one JSON line: {"value": <the figure>, "tracked": N, "delivered": N, "queued": N, ...}.
// The client is ts/dist (`make ts-build`), used as a user would: the public API only.
import { Complexity, Harness, Outcome, Provider, QualityGate, TaskType, TelemetryClient } from '../ts/dist/index.js';

const INSTANCE_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const API_KEY = '0123456789abcdef'.repeat(4);
const TRACK_BLOCKS = 200; // blocks of TRACK_BLOCK calls, as the Python figure
const TRACK_BLOCK = 1_000;
const THROUGHPUT_EVENTS = 50_000;
const STOP_EVENTS = 10_000;

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const errors = [];

function client(sinkUrl, overrides = {}) {
  return new TelemetryClient({
    serverUrl: sinkUrl,
    apiKey: API_KEY,
    instanceId: INSTANCE_ID,
    submitIntervalMs: 3_600_000, // long: only the batch threshold and stop() flush
    batchSize: 100,
    shutdownTimeoutMs: 120_000, // the figure is how long stop() takes, not where it gives up
    logger: silent,
    onError: (error) => errors.push(error.message),
    ...overrides,
  });
}

// The Python figures' fully set event (the integration guide's quick start).
function build(c) {
  return c.eventBuilder.build({
    task_type: TaskType.IMPLEMENTATION,
    model: 'claude-sonnet-4-5-20250929',
    provider: Provider.ANTHROPIC,
    harness: Harness.CLAUDE_CODE,
    complexity: Complexity.MEDIUM,
    outcome: Outcome.SUCCESS,
    task_duration_ms: 45000,
    estimated_input_tokens: 105000,
    estimated_output_tokens: 45000,
    actual_input_tokens: 112340,
    actual_output_tokens: 38760,
    estimated_cost_usd_micros: 630000,
    actual_cost_usd_micros: 919200,
    quality_gate_passed: true,
    quality_gates_run: [QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST, QualityGate.TYPECHECK],
    quality_gates_failed: [],
    context_compactions: 2,
    context_rotations: 0,
    context_utilization_final: 0.72,
    retry_count: 0,
    language: 'typescript',
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

// Median time of one track() call (us), from blocks of TRACK_BLOCK calls on a started client.
// A dry-run client: the same track() and queue, and stop() discards the 200,000 copies of one
// event instead of sending them. The blocks run back to back without yielding to the event loop,
// so no flush runs in between: this is track() alone (figure throughput has the whole pipeline).
async function track(sinkUrl) {
  const total = TRACK_BLOCKS * TRACK_BLOCK;
  const c = client(sinkUrl, { dryRun: true, maxQueueSize: total + 10 * TRACK_BLOCK });
  const event = build(c);
  c.start();
  for (let i = 0; i < 10 * TRACK_BLOCK; i += 1) c.track(event); // warm-up: let the JIT compile it
  const blocks = [];
  for (let b = 0; b < TRACK_BLOCKS; b += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < TRACK_BLOCK; i += 1) c.track(event);
    blocks.push(Number(process.hrtime.bigint() - start));
  }
  const queued = c.queueSize;
  await c.stop();
  if (queued !== total + 10 * TRACK_BLOCK) throw new Error(`queue held ${queued} events, expected ${total + 10 * TRACK_BLOCK}`);
  return { value: median(blocks) / TRACK_BLOCK / 1e3, tracked: 0, delivered: 0, queued: 0 };
}

// Events/s from the first track() to stop() returning, all acknowledged by the sink. A service
// tracks as it works: the loop yields to the event loop after each batch's worth of events, so
// the client sends while events are still being tracked.
async function throughput(sinkUrl) {
  const c = client(sinkUrl, { maxQueueSize: THROUGHPUT_EVENTS });
  const events = Array.from({ length: THROUGHPUT_EVENTS }, () => build(c)); // before the clock
  c.start();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < events.length; i += 1) {
    c.track(events[i]);
    if (i % 100 === 99) await yieldToLoop();
  }
  await c.stop();
  const seconds = (performance.now() - start) / 1e3;
  const cpu = process.cpuUsage(cpuBefore);
  // The client's CPU time per batch (user + system), which other work on the machine inflates
  // far less than the wall-clock figure.
  const cpuMsPerBatch = (cpu.user + cpu.system) / 1e3 / (THROUGHPUT_EVENTS / 100);
  return { value: THROUGHPUT_EVENTS / seconds, cpuMsPerBatch, tracked: THROUGHPUT_EVENTS, delivered: c.stats.delivered, queued: c.queueSize };
}

// Seconds from start() to stop() returning, with STOP_EVENTS queued before start().
async function stop(sinkUrl) {
  const c = client(sinkUrl, { maxQueueSize: STOP_EVENTS });
  for (let i = 0; i < STOP_EVENTS; i += 1) c.track(build(c));
  const start = performance.now();
  c.start();
  await c.stop();
  const seconds = (performance.now() - start) / 1e3;
  return { value: seconds, tracked: STOP_EVENTS, delivered: c.stats.delivered, queued: c.queueSize };
}

const figures = { track, throughput, stop };
const [figure, sinkUrl] = process.argv.slice(2);
if (!(figure in figures) || !sinkUrl) {
  console.error('usage: node benchmarks/ts_bench.mjs track|throughput|stop SINK_URL');
  process.exit(2);
}
// Node loads its fetch (undici) on first use, 30-100 ms: the counterpart of Python importing
// httpx, which its figures do before the clock too. The sink's /stats is a cheap GET.
await (await fetch(`${sinkUrl}/stats`)).text();
const result = await figures[figure](sinkUrl);
console.log(JSON.stringify({ ...result, errors }));
