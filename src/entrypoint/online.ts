import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivationBody } from '../core/activation-body.ts';
import type { Env } from '../core/env.ts';
import { describeNetworkError, formatSeconds, isConnectionFailure, isTimeout, isTlsError } from '../core/network-errors.ts';
import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import { readAnswer, type Answer, type Answered } from './answers.ts';
import { ANSWER_LIMIT_BYTES } from './defaults.ts';
import { proxyAgent, request } from './http-client.ts';
import { attemptTimeout, nextDelay } from './retry-policy.ts';

/** What one online activation (all its attempts) came to. */
export type OnlineResult =
  | { kind: 'license'; jws: string }
  | { kind: 'refused'; reason: Reason }
  | { kind: 'failed'; detail: string; tls: boolean; answered?: Answered };

export interface OnlineRequest {
  endpoint: string;
  credential: string;
  body: ActivationBody;
  timeoutMs: number;
  env: Env;
  /** A signal to the container: aborts through the same path as the spent budget. */
  signal?: AbortSignal;
  /** Whether a cached license that verifies is at hand (section 4's fast offline start): asked only after a failure. */
  fallbackAtHand: () => Promise<boolean>;
  random?: () => number;
}

/** A clock that never jumps; not performance.now(), whose global loads perf_hooks at first use (~1 ms of every start). */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

/** ACTIVATION_TIMEOUT, once: one start, one signal that the timer or the caller aborts. */
function startBudget(ms: number, outer: AbortSignal | undefined) {
  const started = monotonicMs();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const onOuter = () => controller.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  if (outer?.aborted) controller.abort();
  return {
    signal: controller.signal,
    left: () => ms - (monotonicMs() - started),
    end: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/**
 * POST {endpoint}/license/activate until an answer settles it, the policy stops, or the budget (or the
 * caller's signal) ends. Rejects only with the caller's abort reason.
 */
export async function activateOnline(req: OnlineRequest): Promise<OnlineResult> {
  const budget = startBudget(req.timeoutMs, req.signal);
  const random = req.random ?? Math.random;
  const transport = proxyAgent(req.env);
  const url = `${req.endpoint}/license/activate`;
  const payload = JSON.stringify(req.body);
  const secrets = [req.credential];
  const noAnswer = `no answer within ${formatSeconds(req.timeoutMs)}`;

  const attempt = async (): Promise<Answer> => {
    const ms = attemptTimeout(budget.left());
    try {
      // A connect that hangs (dropped SYNs) counts like a silent server: at most this attempt's share.
      const res = await request(transport, url, {
        method: 'POST', signal: budget.signal, idleTimeoutMs: ms,
        headers: { authorization: `Bearer ${req.credential}`, 'content-type': 'application/json', accept: 'application/json' },
        body: payload,
      }, ANSWER_LIMIT_BYTES);
      if (res.text === undefined) {
        return { kind: 'failed', detail: `HTTP ${res.status} with an answer larger than ${ANSWER_LIMIT_BYTES / 1024} KiB`, answered: 'unexpected' };
      }
      const header = (name: string) => {
        const value = res.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      return readAnswer(res.status, res.text, header('retry-after'), Date.now(), secrets, header('content-type'));
    } catch (error) {
      if (isTlsError(error)) return { kind: 'failed', detail: `TLS: ${outsideText(describeNetworkError(error), secrets)}`, tls: true };
      const timedOut = budget.signal.aborted || isTimeout(error);
      return { kind: 'failed', detail: timedOut ? noAnswer : outsideText(describeNetworkError(error), secrets), connection: isConnectionFailure(error) };
    }
  };

  let last = noAnswer;
  let answered: Answered | undefined;
  try {
    for (let n = 1; !budget.signal.aborted; n++) {
      const answer = await attempt();
      if (answer.kind !== 'failed') return answer;
      last = answer.detail;
      answered = answer.answered;
      if (answer.tls) return { kind: 'failed', detail: answer.detail, tls: true };
      if (budget.signal.aborted) break;
      // The cache is read and verified only now: a start that goes online at once never needs it.
      const fallbackAtHand = answer.connection === true && (await req.fallbackAtHand());
      const delay = nextDelay({ connection: answer.connection === true, retryAfterMs: answer.retryAfterMs, fallbackAtHand }, n, budget.left(), random());
      if (delay === undefined) break;
      await sleep(delay, undefined, { signal: budget.signal }).catch(() => {});
    }
    if (req.signal?.aborted) throw req.signal.reason;
    return { kind: 'failed', detail: last, tls: false, answered: last === noAnswer ? undefined : answered };
  } finally {
    budget.end();
    transport.destroy();
  }
}
