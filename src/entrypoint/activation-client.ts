import pRetry, { AbortError } from 'p-retry';
import { EnvHttpProxyAgent, request } from './http-client.ts';
import { RETRY } from '../core/constants.ts';
import type { Env } from './config.ts';
import { classifyAnswer, describeNetworkError, isTlsError, type Answer } from './retry-policy.ts';
import type { Reason } from './reasons.ts';

export interface ActivationBody {
  product: string;
  version: string;
  ci: boolean;
  ciProvider: string | null;
  machineId: string;
}

export type OnlineResult =
  | { kind: 'license'; jws: string }
  | { kind: 'definitive'; reason: Reason }
  | { kind: 'unreachable'; detail: string; tls: boolean };

export interface OnlineOptions {
  endpoint: string;
  credential: string;
  body: ActivationBody;
  timeoutMs: number;
  env: Env;
  signal?: AbortSignal;
}

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(detail: string, retryAfterMs?: number) {
    super(detail);
    this.retryAfterMs = retryAfterMs;
  }
}

class Final extends Error {
  readonly result: OnlineResult;
  constructor(result: OnlineResult) {
    super('final');
    this.result = result;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * POST /license/activate with section 4's retry policy: at most 4 attempts, backoff from ~100 ms with
 * jitter, Retry-After honoured, and one AbortSignal bounding everything by the timeout.
 */
export async function activateOnline(options: OnlineOptions): Promise<OnlineResult> {
  const deadline = Date.now() + options.timeoutMs;
  const budget = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([budget, options.signal]) : budget;
  const env = options.env;
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: env.HTTP_PROXY ?? env.http_proxy,
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
    connect: { timeout: Math.min(RETRY.connectTimeoutMs, options.timeoutMs) },
  });
  const url = `${options.endpoint}/license/activate`;
  const payload = JSON.stringify(options.body);
  let last = 'no attempt';

  const attempt = async (): Promise<OnlineResult> => {
    const left = deadline - Date.now();
    // A silent server may hold one attempt for half the budget, so a second one still fits.
    const attemptMs = Math.max(1, Math.min(left, Math.max(left / 2, 1000)));
    let answer: Answer;
    try {
      const res = await request(dispatcher, url, {
        method: 'POST', signal, headersTimeout: attemptMs, bodyTimeout: attemptMs,
        headers: { authorization: `Bearer ${options.credential}`, 'content-type': 'application/json', accept: 'application/json' },
        body: payload,
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const retryAfter = res.headers['retry-after'];
      answer = classifyAnswer(res.statusCode, body, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
    } catch (error) {
      if (options.signal?.aborted) throw new AbortError('aborted');
      if (isTlsError(error)) throw new Final({ kind: 'unreachable', detail: `TLS: ${describeNetworkError(error)}`, tls: true });
      last = budget.aborted ? `no answer within ${options.timeoutMs / 1000} s` : describeNetworkError(error);
      throw new Retryable(last);
    }
    if (answer.kind === 'retryable') {
      last = answer.detail;
      throw new Retryable(answer.detail, answer.retryAfterMs);
    }
    return answer;
  };

  try {
    return await pRetry(attempt, {
      retries: RETRY.attempts - 1,
      minTimeout: RETRY.firstDelayMs,
      factor: RETRY.factor,
      randomize: true,
      maxRetryTime: options.timeoutMs,
      signal,
      // p-retry knows nothing of Retry-After: wait out what it asks beyond p-retry's own backoff.
      shouldRetry: async ({ error, retryDelay }) => {
        if (!(error instanceof Retryable) || signal.aborted) return false;
        if (error.retryAfterMs === undefined) return true;
        // A Retry-After longer than what is left of the budget: offline at once.
        if (error.retryAfterMs >= deadline - Date.now()) return false;
        await sleep(Math.max(0, error.retryAfterMs - retryDelay), signal);
        return !signal.aborted;
      },
    });
  } catch (error) {
    if (error instanceof Final) return error.result;
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (error instanceof Retryable) return { kind: 'unreachable', detail: error.message, tls: false };
    if (budget.aborted) return { kind: 'unreachable', detail: `${last}; gave up after ${options.timeoutMs / 1000} s`, tls: false };
    throw error;
  } finally {
    dispatcher.destroy().catch(() => {});
  }
}
