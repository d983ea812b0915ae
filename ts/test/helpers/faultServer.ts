/**
 * A real HTTP server on 127.0.0.1 that speaks Telemetry API v1 and can be told to misbehave
 * (the Node twin of tests/fault_server.py). Tests script replies one request at a time: status,
 * headers, body, delay, a dropped connection, no answer at all, or an answer trickled out byte by
 * byte. Once the script runs out it answers like a healthy server (deduplicating by event_id).
 */

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Reply {
  status?: number;
  /** JSON body; when omitted a 2xx answers as a healthy server and others with `{detail}`. */
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Close the connection without answering (a reset). */
  drop?: boolean;
  /** Never answer (until the server closes). */
  hang?: boolean;
  /** Store the events (a healthy answer), then close the connection instead of answering. */
  dropAfterStore?: boolean;
  /** Send the answer one byte every this many ms. */
  trickleMs?: number;
}

export interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** performance.now() when the request arrived. */
  receivedAt: number;
}

export class FaultServer {
  readonly requests: Recorded[] = [];
  /** Every event stored, by event_id (first copy kept). */
  readonly stored = new Map<string, unknown>();
  /** How many times each event_id was received, duplicates included. */
  readonly received = new Map<string, number>();
  private readonly script: Reply[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queue replies for the next requests, in order. */
  push(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /** Forget unused scripted replies. */
  clearScript(): void {
    this.script.length = 0;
  }

  eventPosts(): Recorded[] {
    return this.requests.filter((r) => r.path === '/v1/events/batch');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    this.requests.push({ path: req.url ?? '', headers: req.headers, body, receivedAt: performance.now() });
    const reply = this.script.shift() ?? {};
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.hang) return;
    if (reply.dropAfterStore) {
      this.healthy(req.url ?? '', body);
      req.socket.destroy();
      return;
    }
    if (reply.drop) {
      req.socket.destroy();
      return;
    }
    const status = reply.status ?? 0;
    let payload: string;
    let code: number;
    if (reply.raw !== undefined) {
      payload = reply.raw;
      code = status || 202;
    } else if (reply.json !== undefined) {
      payload = JSON.stringify(reply.json);
      code = status || 202;
    } else if (status === 0 || (status >= 200 && status < 300)) {
      [code, payload] = this.healthy(req.url ?? '', body);
      if (status) code = status;
    } else {
      code = status;
      payload = JSON.stringify({ detail: `scripted ${status}` });
    }
    const headers = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)), ...reply.headers };
    res.writeHead(code, headers);
    if (reply.trickleMs) {
      for (const byte of Buffer.from(payload)) {
        if (res.destroyed) return;
        res.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, reply.trickleMs));
      }
      res.end();
      return;
    }
    res.end(payload);
  }

  private healthy(path: string, body: string): [number, string] {
    const data = JSON.parse(body || '{}') as { events?: { event_id: string }[]; queries?: unknown[] };
    if (path === '/v1/events/batch') {
      const results = (data.events ?? []).map((event) => {
        const id = event.event_id;
        this.received.set(id, (this.received.get(id) ?? 0) + 1);
        if (this.stored.has(id)) return { event_id: id, status: 'rejected', error: `duplicate event_id ${id}: already stored` };
        this.stored.set(id, event);
        return { event_id: id, status: 'accepted', error: null };
      });
      const accepted = results.filter((r) => r.status === 'accepted').length;
      return [202, JSON.stringify({ accepted, rejected: results.length - accepted, results })];
    }
    if (path === '/v1/predictions/batch') {
      const none = {
        prediction: null,
        metadata: { sample_size: 0, fallback_level: -1, confidence: 'none', last_updated: null, dimensions_matched: null, fallback_note: null, cache_hit: false },
      };
      return [200, JSON.stringify({ results: (data.queries ?? []).map(() => none) })];
    }
    return [404, JSON.stringify({ detail: 'not found' })];
  }
}

export async function startFaultServer(): Promise<FaultServer> {
  return new FaultServer().start();
}
