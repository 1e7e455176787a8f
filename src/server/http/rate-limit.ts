/** Counts one hit of a key; the seconds to wait when over the limit, else 0. */
export interface RateLimit {
  hit(key: string, nowMs: number): number | Promise<number>;
}

/** Fixed one-minute windows per key, in this process's memory; `limit` 0 turns it off. */
export class RateLimiter implements RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  constructor(limit: number, windowMs = 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts one hit; returns the seconds to wait when over the limit, else 0. */
  hit(key: string, nowMs: number): number {
    if (this.limit === 0) return 0;
    let w = this.windows.get(key);
    if (!w || nowMs - w.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.prune(nowMs);
      w = { start: nowMs, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.limit ? Math.max(1, Math.ceil((w.start + this.windowMs - nowMs) / 1000)) : 0;
  }

  private prune(nowMs: number): void {
    for (const [key, w] of this.windows) if (nowMs - w.start >= this.windowMs) this.windows.delete(key);
  }
}
