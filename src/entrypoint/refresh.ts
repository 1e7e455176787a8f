import { REFRESH_JITTER, REFRESH_SOON_MS } from './defaults.ts';

/** ±10 %: containers started together do not refresh together. */
export function refreshDelay(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (1 - REFRESH_JITTER + 2 * REFRESH_JITTER * random));
}

/**
 * When the next refresh comes: at the interval while all is well; after `failures` failed tries in a
 * row (an offline start counts as one) soon, then twice as late each time, never later than the interval.
 */
export function nextRefreshDelay(intervalMs: number, failures: number, random: number): number {
  const base = failures === 0 ? intervalMs : Math.min(intervalMs, REFRESH_SOON_MS * 2 ** Math.min(failures - 1, 30));
  return refreshDelay(base, random);
}

/**
 * Runs `run` on that schedule while the command runs; `run` says whether its try failed (a refusal is
 * not a failure to retry soon). The timer never keeps the process alive.
 */
export function scheduleRefresh(intervalMs: number, startedOffline: boolean, run: () => Promise<{ failed: boolean }>): () => void {
  let timer: NodeJS.Timeout;
  let stopped = false;
  let failures = startedOffline ? 1 : 0;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run().then((r) => (failures = r.failed ? failures + 1 : 0), () => failures++).finally(next);
    }, nextRefreshDelay(intervalMs, failures, Math.random()));
    timer.unref();
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
