/** Client options: every setting, its default, and the environment variables that fill it. */

import { VERSION } from './version.js';

/** Where the SDK writes what it is doing; `console` fits. Methods may be omitted. */
export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

/** Options of `new TelemetryClient(...)`. */
export interface TelemetryClientOptions {
  /** Telemetry API base URL; trailing slashes are stripped. Env: MOSAIC_TELEMETRY_SERVER_URL. */
  serverUrl?: string;
  /** 64-character hex API key (Bearer token). Env: MOSAIC_TELEMETRY_API_KEY. */
  apiKey?: string;
  /** UUID of this Mosaic Stack instance. Env: MOSAIC_TELEMETRY_INSTANCE_ID. */
  instanceId?: string;
  /** Master switch (default true); MOSAIC_TELEMETRY_ENABLED, when set, always wins. */
  enabled?: boolean;
  /** Interval between background flushes, ms (default 300000 = 5 min). */
  submitIntervalMs?: number;
  /** Events kept in memory; the oldest is evicted when full (default 1000). */
  maxQueueSize?: number;
  /** Events per request, 1 to 100 (default 100, the server's maximum). */
  batchSize?: number;
  /** Time limit of one HTTP request, ms (default 10000). */
  requestTimeoutMs?: number;
  /** How long a fetched prediction is served from the cache, ms (default 21600000 = 6 h). */
  predictionCacheTtlMs?: number;
  /** Log batches instead of sending them (default false). */
  dryRun?: boolean;
  /** Retries of a failed request within one flush cycle (default 3). */
  maxRetries?: number;
  /** Deadline of `stop()` and `flush()`, ms (default 10000). */
  shutdownTimeoutMs?: number;
  /** Drop events older than this (by their timestamp) instead of sending them (default: never). */
  maxEventAgeMs?: number | null;
  /** User-Agent header (default `mosaicstack-telemetry-typescript/<version>`). */
  userAgent?: string;
  /** Called with every error the SDK catches; never lets one reach your code. */
  onError?: (error: Error) => void;
  /** Where progress and warnings go (default: warnings and errors to the console). */
  logger?: Logger;
}

/** The options after defaults and the environment are applied. */
export interface ResolvedConfig {
  serverUrl: string;
  apiKey: string;
  instanceId: string;
  enabled: boolean;
  submitIntervalMs: number;
  maxQueueSize: number;
  batchSize: number;
  requestTimeoutMs: number;
  predictionCacheTtlMs: number;
  dryRun: boolean;
  maxRetries: number;
  shutdownTimeoutMs: number;
  maxEventAgeMs: number | null;
  userAgent: string;
  onError: ((error: Error) => void) | undefined;
  logger: Logger;
}

export const ENV_ENABLED = 'MOSAIC_TELEMETRY_ENABLED';
export const ENV_SERVER_URL = 'MOSAIC_TELEMETRY_SERVER_URL';
export const ENV_API_KEY = 'MOSAIC_TELEMETRY_API_KEY';
export const ENV_INSTANCE_ID = 'MOSAIC_TELEMETRY_INSTANCE_ID';

export const DEFAULTS = {
  enabled: true,
  submitIntervalMs: 300_000,
  maxQueueSize: 1000,
  batchSize: 100,
  requestTimeoutMs: 10_000,
  predictionCacheTtlMs: 21_600_000,
  dryRun: false,
  maxRetries: 3,
  shutdownTimeoutMs: 10_000,
  userAgent: `mosaicstack-telemetry-typescript/${VERSION}`,
} as const;

/** The server's batch limit. */
export const MAX_BATCH_SIZE = 100;

const TRUTHY = new Set(['1', 'true', 'yes']);
const API_KEY = /^[0-9a-fA-F]{64}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The default logger: warnings and errors to the console, progress nowhere (as Python's logging). */
export const consoleLogger: Logger = {
  warn: (message) => console.warn(`[mosaicstack-telemetry] ${message}`),
  error: (message) => console.error(`[mosaicstack-telemetry] ${message}`),
};

function env(name: string): string {
  return (typeof process !== 'undefined' ? process.env[name] : undefined) ?? '';
}

/** Apply defaults and the MOSAIC_TELEMETRY_* environment variables to the options. */
export function resolveConfig(options: TelemetryClientOptions = {}): ResolvedConfig {
  // An empty MOSAIC_TELEMETRY_ENABLED counts as unset; any other value always wins.
  const enabledEnv = env(ENV_ENABLED).trim();
  const enabled = enabledEnv ? TRUTHY.has(enabledEnv.toLowerCase()) : (options.enabled ?? DEFAULTS.enabled);
  return {
    serverUrl: (options.serverUrl || env(ENV_SERVER_URL)).trim().replace(/\/+$/, ''),
    apiKey: options.apiKey || env(ENV_API_KEY),
    instanceId: String(options.instanceId || env(ENV_INSTANCE_ID)),
    enabled,
    submitIntervalMs: options.submitIntervalMs ?? DEFAULTS.submitIntervalMs,
    maxQueueSize: options.maxQueueSize ?? DEFAULTS.maxQueueSize,
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    predictionCacheTtlMs: options.predictionCacheTtlMs ?? DEFAULTS.predictionCacheTtlMs,
    dryRun: options.dryRun ?? DEFAULTS.dryRun,
    maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    maxEventAgeMs: options.maxEventAgeMs ?? null,
    userAgent: options.userAgent ?? DEFAULTS.userAgent,
    onError: options.onError,
    logger: options.logger ?? consoleLogger,
  };
}

/** One message per configuration problem; an empty list means valid. Never echoes the key. */
export function validateConfig(config: ResolvedConfig): string[] {
  const errors: string[] = [];
  if (!config.serverUrl) {
    errors.push(`serverUrl is required (set it or ${ENV_SERVER_URL})`);
  } else if (!/^https?:\/\//.test(config.serverUrl)) {
    errors.push(`serverUrl must start with http:// or https://, got ${JSON.stringify(config.serverUrl)}`);
  }
  if (!API_KEY.test(config.apiKey)) {
    errors.push(
      `apiKey must be a 64-character hex string (got ${config.apiKey.length} characters; set it or ${ENV_API_KEY})`,
    );
  }
  if (!UUID.test(config.instanceId)) {
    errors.push(
      `instanceId must be a valid UUID, got ${JSON.stringify(config.instanceId)} (set it or ${ENV_INSTANCE_ID})`,
    );
  }
  const positive: [string, number][] = [
    ['submitIntervalMs', config.submitIntervalMs],
    ['maxQueueSize', config.maxQueueSize],
    ['requestTimeoutMs', config.requestTimeoutMs],
  ];
  for (const [name, value] of positive) {
    if (!(value > 0)) errors.push(`${name} must be positive, got ${value}`);
  }
  if (!(config.batchSize >= 1 && config.batchSize <= MAX_BATCH_SIZE)) {
    errors.push(`batchSize must be between 1 and ${MAX_BATCH_SIZE}, got ${config.batchSize}`);
  }
  if (!(config.shutdownTimeoutMs >= 0)) {
    errors.push(`shutdownTimeoutMs must be zero or positive, got ${config.shutdownTimeoutMs}`);
  }
  if (!(config.maxRetries >= 0)) errors.push(`maxRetries must be zero or positive, got ${config.maxRetries}`);
  return errors;
}
