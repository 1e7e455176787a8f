import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import { SERVER_CODES } from './reasons.ts';

/**
 * What one attempt came back with, read per section 4's table: a license to verify, a definitive
 * refusal, or a failure that may be retried (`connection`: nothing answered at all; `answered`: an
 * answer came, but not a definitive one: the server busy or failing, or something else answering in its place).
 */
export type Answer =
  | { kind: 'license'; jws: string }
  | { kind: 'refused'; reason: Reason }
  | { kind: 'failed'; detail: string; retryAfterMs?: number; connection?: boolean; tls?: boolean; answered?: Answered };

/** Who answered without settling it: a busy server (429), a failing one (5xx), or not the protocol at all. */
export type Answered = 'busy' | 'failing' | 'unexpected';

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

/** Only section 4's own refusals are definitive: its codes, each with its status, in a JSON error body. */
const DEFINITIVE_STATUS: Record<string, number> = {
  'licensing.credentials.format': 400,
  'licensing.credentials.invalid': 401,
  'licensing.credentials.leaked': 401,
  'licensing.oidc.malformed': 400,
};
const definitiveStatus = (code: string) => DEFINITIVE_STATUS[code] ?? 403;

/** A few words on a non-protocol answer: what it was, and who likely gave it. */
function unexpected(status: number, contentType: string | undefined, code: string | undefined): string {
  if (status === 407) return 'HTTP 407: the proxy asks for credentials; put them in HTTPS_PROXY (http://user:password@proxy:port)';
  const type = contentType ? outsideText(contentType.split(';')[0], [], 40) : 'no content type';
  const what = code ? `HTTP ${status} ${code}` : `HTTP ${status} ${type}`;
  return /html/i.test(type) && !code ? `${what}: not the license server (a captive portal or proxy page?)` : what;
}

/**
 * Section 4's table as a function of status, body text, Retry-After and content type. Text from the
 * server is bounded and masked (`secrets`: the credential in use) before it can reach a line. Anything
 * but the protocol's own answers (an HTML page, a 404 or 407, an unknown code) is a failure to retry.
 */
export function readAnswer(status: number, text: string, retryAfter: string | undefined, nowMs: number, secrets: readonly string[] = [], contentType?: string): Answer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
  const code = typeof error?.code === 'string' ? outsideText(error.code, secrets, 80) : undefined;
  const message = typeof error?.message === 'string' ? outsideText(error.message, secrets) : '';
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  if (status === 200) {
    const license = (body as { license?: unknown } | null | undefined)?.license;
    if (typeof license === 'string') return { kind: 'license', jws: license };
    return { kind: 'failed', detail: `${unexpected(status, contentType, undefined)} without a license`, retryAfterMs, answered: 'unexpected' };
  }
  if (status === 429) return { kind: 'failed', detail: `HTTP ${status}${code ? ` ${code}` : ''}`, retryAfterMs, answered: 'busy' };
  if (status >= 500) return { kind: 'failed', detail: `HTTP ${status}${code ? ` ${code}` : ''}`, retryAfterMs, answered: 'failing' };
  const mapped = code && Object.hasOwn(SERVER_CODES, code) ? SERVER_CODES[code] : undefined;
  if (mapped && status === definitiveStatus(code!)) return { kind: 'refused', reason: { code: mapped, detail: message || code! } };
  return { kind: 'failed', detail: unexpected(status, contentType, code), retryAfterMs, answered: 'unexpected' };
}
