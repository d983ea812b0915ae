/** PredictionCache: prediction responses kept for a TTL, keyed by the query's four dimensions. */

import type { PredictionQuery, PredictionResponse } from './generated/models.js';

/** The cache key of a query: task_type, model, provider and complexity. */
export function cacheKey(query: PredictionQuery): string {
  return JSON.stringify([query.task_type, query.model, query.provider, query.complexity]);
}

/** Map-based cache with TTL expiration. */
export class PredictionCache {
  private readonly entries = new Map<string, { expiresAt: number; response: PredictionResponse }>();

  constructor(
    readonly ttlMs: number = 21_600_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The cached prediction, or null if absent or expired. */
  get(query: PredictionQuery): PredictionResponse | null {
    const key = cacheKey(query);
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (this.clock() >= entry.expiresAt) {
      this.entries.delete(key);
      return null;
    }
    return entry.response;
  }

  /** Store a prediction for ttlMs. */
  put(query: PredictionQuery, response: PredictionResponse): void {
    this.entries.set(cacheKey(query), { expiresAt: this.clock() + this.ttlMs, response });
  }

  /** Invalidate all entries. */
  clear(): void {
    this.entries.clear();
  }

  /** Number of entries, including possibly expired ones. */
  get size(): number {
    return this.entries.size;
  }
}
