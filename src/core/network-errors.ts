const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/;
/** Nothing answered at all: refused, name not resolved, no route. Retrying at once rarely helps. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'TimeoutError']);

type Chained = { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined;

function codes(error: unknown): string[] {
  const out: string[] = [];
  let e = error as Chained;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as Chained) {
    if (typeof e.code === 'string') out.push(e.code);
    else if (e.name === 'TimeoutError') out.push('TimeoutError');
  }
  return out;
}

/** A TLS failure is never retried: the same certificate will fail again. */
export function isTlsError(error: unknown): boolean {
  return codes(error).some((c) => TLS_CODES.test(c));
}

/** Refused, unresolved or unreachable: the server is not there (as opposed to slow or failing). */
export function isConnectionFailure(error: unknown): boolean {
  return codes(error).some((c) => CONNECTION_CODES.has(c));
}

export function isTimeout(error: unknown): boolean {
  return codes(error).some((c) => TIMEOUT_CODES.has(c));
}

/**
 * A short description of a network error for people: the innermost code, and a timeout in words
 * ("no answer within 3 s") rather than undici's internal code.
 */
export function describeNetworkError(error: unknown, timeoutMs?: number): string {
  if (isTimeout(error)) return timeoutMs === undefined ? 'no answer in time' : `no answer within ${formatSeconds(timeoutMs)}`;
  const found = codes(error);
  if (found.length > 0) return found.at(-1)!;
  return error instanceof Error ? error.message : String(error);
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
