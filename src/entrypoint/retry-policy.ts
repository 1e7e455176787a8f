import { SERVER_CODES, type Reason } from './reasons.ts';

/** What one answer of the license server means for the activation. */
export type Answer =
  | { kind: 'license'; jws: string }
  | { kind: 'definitive'; reason: Reason }
  | { kind: 'retryable'; detail: string; retryAfterMs?: number };

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Section 4's table as a function of status, body and Retry-After. */
export function classifyAnswer(status: number, body: unknown, retryAfter: string | undefined, nowMs: number): Answer {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message : '';
  if (status === 200) {
    const license = (body as { license?: unknown } | undefined)?.license;
    return typeof license === 'string'
      ? { kind: 'license', jws: license }
      : { kind: 'definitive', reason: { code: 'server.unexpected', detail: 'HTTP 200 without a license' } };
  }
  if (status === 429 || status >= 500) {
    return { kind: 'retryable', detail: `HTTP ${status}${code ? ` ${code}` : ''}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  }
  const mapped = code ? SERVER_CODES[code] : undefined;
  if (mapped) return { kind: 'definitive', reason: { code: mapped, detail: message || code! } };
  return { kind: 'definitive', reason: { code: 'server.unexpected', detail: `HTTP ${status}${code ? ` ${code}: ${message}` : ''}` } };
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/;

/** A TLS failure is never retried: the same certificate will fail again. */
export function isTlsError(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && TLS_CODES.test(e.code)) return true;
  }
  return false;
}

/** A short description of a network error, from the innermost cause that has a code. */
export function describeNetworkError(error: unknown): string {
  let best: string | undefined;
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') best = e.code;
  }
  return best ?? (error instanceof Error ? error.message : String(error));
}
