import { RATE_WINDOW_MS } from '../constants.ts';
import type { RateLimit } from './rate-limit.ts';

/** Where the counters live: one row per (key, window) in the shared database. */
export interface RateCounter {
  countHit(key: string, windowStart: number): Promise<number>;
  pruneRateLimits(before: number): Promise<void>;
}

/**
 * Fixed one-minute windows aligned to the clock, counted in the database with one upsert per hit, so the
 * limit holds across replicas whichever one a load balancer picks; `limit` 0 turns it off.
 */
export class SharedRateLimiter implements RateLimit {
  private readonly counter: RateCounter;
  private readonly limit: number;
  private readonly windowMs: number;
  private prunedWindow = 0;

  constructor(counter: RateCounter, limit: number, windowMs = RATE_WINDOW_MS) {
    this.counter = counter;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  async hit(key: string, nowMs: number): Promise<number> {
    if (this.limit === 0) return 0;
    const start = nowMs - (nowMs % this.windowMs);
    const count = await this.counter.countHit(key, start);
    if (start !== this.prunedWindow) {
      this.prunedWindow = start;
      // Old windows are deleted in the background; a failure only leaves a few rows until the next window.
      this.counter.pruneRateLimits(start - this.windowMs).catch(() => undefined);
    }
    return count > this.limit ? Math.max(1, Math.ceil((start + this.windowMs - nowMs) / 1000)) : 0;
  }
}
