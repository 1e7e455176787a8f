import { RETRY } from './defaults.ts';

export interface PolicyInput {
  /** Nothing answered at all (refused, name not resolved, network unreachable). */
  connection: boolean;
  /** The server asked to wait this long (429/503 Retry-After). */
  retryAfterMs?: number;
  /** A cached license that verifies is at hand: a missing server is no reason to wait. */
  fallbackAtHand: boolean;
}

/**
 * Section 4's retry policy, whole, as one pure function: after the `attempt`-th failed attempt, with
 * `timeLeftMs` of the budget left, the delay before the next attempt, or undefined to stop (go offline).
 * At most 4 attempts; backoff from ~100 ms doubling with jitter (`random` in [0, 1)); Retry-After
 * honoured but never past the budget; a missing server with a usable cache stops at once.
 */
export function nextDelay(failure: PolicyInput, attempt: number, timeLeftMs: number, random: number): number | undefined {
  if (attempt >= RETRY.attempts) return undefined;
  if (failure.connection && failure.fallbackAtHand) return undefined;
  if (failure.retryAfterMs !== undefined && failure.retryAfterMs >= timeLeftMs) return undefined;
  const backoff = RETRY.firstDelayMs * RETRY.factor ** (attempt - 1) * (1 + random);
  const delay = Math.round(Math.max(backoff, failure.retryAfterMs ?? 0));
  return delay < timeLeftMs ? delay : undefined;
}

/** How long one attempt may take: a share of what is left, so a silent server still leaves room for another. */
export function attemptTimeout(timeLeftMs: number): number {
  return Math.max(1, Math.min(timeLeftMs, Math.max(timeLeftMs * RETRY.attemptShare, RETRY.minAttemptMs)));
}
