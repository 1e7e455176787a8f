import { REFRESH_JITTER, REFRESH_SOON_MS } from './defaults.ts';

/** ±10 %: containers started together do not refresh together. */
export function refreshDelay(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (1 - REFRESH_JITTER + 2 * REFRESH_JITTER * random));
}

/** The first refresh after an offline start comes soon (never later than the interval). */
export function firstRefreshDelay(intervalMs: number, soon: boolean, random: number): number {
  return refreshDelay(soon ? Math.min(REFRESH_SOON_MS, intervalMs) : intervalMs, random);
}

/**
 * Runs `run` after the first delay, then every interval (± jitter), while the command runs; `run`'s
 * answer says whether the next one should come soon again. The timer never keeps the process alive.
 */
export function scheduleRefresh(intervalMs: number, soon: boolean, run: () => Promise<{ soon: boolean }>): () => void {
  let timer: NodeJS.Timeout;
  let stopped = false;
  const next = (again: boolean) => {
    if (stopped) return;
    timer = setTimeout(() => {
      run().then((r) => next(r.soon), () => next(true));
    }, firstRefreshDelay(intervalMs, again, Math.random()));
    timer.unref();
  };
  next(soon);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
