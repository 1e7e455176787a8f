import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import { SERVER_CODES } from './reasons.ts';

/**
 * What one attempt came back with, read per section 4's table: a license to verify, a definitive
 * refusal, or a failure that may be retried (`connection`: nothing answered at all).
 */
export type Answer =
  | { kind: 'license'; jws: string }
  | { kind: 'refused'; reason: Reason }
  | { kind: 'failed'; detail: string; retryAfterMs?: number; connection?: boolean; tls?: boolean };

const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only an HTTP date (IMF-fixdate): Date.parse alone takes '-1' or '1.5' for dates.
  if (!HTTP_DATE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Section 4's table as a function of status, body text and Retry-After. Text from the server is
 * bounded and masked (`secrets`: the credential in use) before it can reach a line.
 */
export function readAnswer(status: number, text: string, retryAfter: string | undefined, nowMs: number, secrets: readonly string[] = []): Answer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
  const code = typeof error?.code === 'string' ? outsideText(error.code, secrets, 80) : undefined;
  const message = typeof error?.message === 'string' ? outsideText(error.message, secrets) : '';
  if (status === 200) {
    const license = (body as { license?: unknown } | null | undefined)?.license;
    return typeof license === 'string'
      ? { kind: 'license', jws: license }
      : { kind: 'refused', reason: { code: 'server.unexpected', detail: 'HTTP 200 without a license' } };
  }
  if (status === 429 || status >= 500) {
    return { kind: 'failed', detail: `HTTP ${status}${code ? ` ${code}` : ''}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  }
  const mapped = code ? SERVER_CODES[code] : undefined;
  if (mapped) return { kind: 'refused', reason: { code: mapped, detail: message || code! } };
  return { kind: 'refused', reason: { code: 'server.unexpected', detail: `HTTP ${status}${code ? ` ${code}${message ? `: ${message}` : ''}` : ''}` } };
}
