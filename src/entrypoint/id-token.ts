// CI without a stored secret: the ID token of the CI platform as the credential. Loaded (dynamic import) only when no
// credential variable is set. The token is a secret: it goes into the Authorization header and nowhere else.
import { decodeJwt } from 'jose';
import { ENV, LIMITS } from '../core/constants.ts';
import type { Env } from '../core/env.ts';
import { fileErrorCode, readBounded } from '../core/files.ts';
import { describeNetworkError } from '../core/network-errors.ts';
import { oidcBindingValue } from '../core/oidc-binding.ts';
import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import { proxyAgent, request } from './http-client.ts';

/** The variables the GitHub Actions runner sets for a job with `permissions: id-token: write`. */
const GITHUB = { url: 'ACTIONS_ID_TOKEN_REQUEST_URL', token: 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' } as const;
const REQUEST_TIMEOUT_MS = 10_000;
const ANSWER_LIMIT = 64 * 1024;

export interface IdTokenCredential {
  /** The stand-in credential the license and its cache are bound to (the pipeline's identity; no secret). */
  binding: string;
  /** Where the token came from, for messages. */
  source: string;
  /** The token for the first activation. */
  first: string;
  /** A fresh token for a later activation (a refresh): GitHub is asked again, a file read again. */
  next: (signal?: AbortSignal) => Promise<string | Reason>;
  /** Secrets to mask in any line: the tokens and the runner's request token. */
  secrets: () => string[];
}

/** The audience the license server expects: its own URL (the API endpoint without /v1), unless set. */
export function oidcAudience(env: Env, apiEndpoint: string): string {
  return env[ENV.oidcAudience]?.trim() || apiEndpoint.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** A pull request from a fork, by the event GitHub wrote for this job; such a job gets no ID token. */
function forkPullRequest(env: Env): string | undefined {
  if (!env.GITHUB_EVENT_NAME?.startsWith('pull_request') || !env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(readBounded(env.GITHUB_EVENT_PATH, 4 * 1024 * 1024)) as { pull_request?: { head?: { repo?: { full_name?: string; fork?: boolean } }; base?: { repo?: { full_name?: string } } } };
    const head = event.pull_request?.head?.repo;
    const base = event.pull_request?.base?.repo;
    if (head && (head.fork === true || (head.full_name && base?.full_name && head.full_name !== base.full_name))) return outsideText(head.full_name ?? 'a fork', [], 100);
  } catch {
    // No readable event: not known to be a fork.
  }
  return undefined;
}

const reason = (code: string, detail: string): Reason => ({ code, detail });

/** The binding of a token: its issuer and subject, read without verifying (the server verifies). */
function bindingOf(token: string, source: string): string | Reason {
  try {
    const claims = decodeJwt(token);
    if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string') throw new Error('no iss or sub');
    return oidcBindingValue(claims.iss, claims.sub);
  } catch {
    return reason('oidc.token_unreadable', `${source} does not hold an ID token (a JSON Web Token with iss and sub)`);
  }
}

async function fromGithub(env: Env, audience: string, signal?: AbortSignal): Promise<string | Reason> {
  const secret = env[GITHUB.token] ?? '';
  const url = new URL(env[GITHUB.url]!);
  url.searchParams.set('audience', audience);
  const transport = proxyAgent(env);
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  try {
    const res = await request(transport, url.href, {
      method: 'GET', signal: signal ? AbortSignal.any([signal, timeout]) : timeout, idleTimeoutMs: REQUEST_TIMEOUT_MS,
      headers: { authorization: `Bearer ${secret}`, accept: 'application/json' },
    }, ANSWER_LIMIT);
    const value = res.status === 200 && res.text ? (JSON.parse(res.text) as { value?: unknown }).value : undefined;
    if (typeof value !== 'string') {
      return reason('oidc.token_request_failed', `GitHub's ID token request (${GITHUB.url}) answered HTTP ${res.status} without a token`);
    }
    return value;
  } catch (error) {
    signal?.throwIfAborted();
    return reason('oidc.token_request_failed', `GitHub's ID token request (${GITHUB.url}) failed: ${outsideText(describeNetworkError(error), [secret])}`);
  } finally {
    transport.destroy();
  }
}

function fromFile(path: string): string | Reason {
  try {
    const value = readBounded(path, LIMITS.credentialFileBytes).trim();
    return value || reason('oidc.token_unreadable', `${ENV.oidcTokenFile} names ${path}, which is empty`);
  } catch (cause) {
    return reason('oidc.token_unreadable', `${ENV.oidcTokenFile} names ${path}, which cannot be read (${fileErrorCode(cause)}); check the token is mounted and readable by this user`);
  }
}

/**
 * The ID token credential when no credential variable is set: from GitHub Actions' token request, or from
 * LOCALSTACK_OIDC_TOKEN(_FILE). Undefined outside CI platforms that offer one (the caller says "no credentials").
 */
export async function idTokenCredential(env: Env, apiEndpoint: string, signal?: AbortSignal): Promise<IdTokenCredential | Reason | undefined> {
  const direct = env[ENV.oidcToken]?.trim();
  const file = env[ENV.oidcTokenFile]?.trim();
  const seen: string[] = [];
  let source: string;
  let fetchToken: (signal?: AbortSignal) => Promise<string | Reason>;
  if (direct && file) return reason('credentials.conflict', `both ${ENV.oidcToken} and ${ENV.oidcTokenFile} are set`);
  if (direct) {
    source = ENV.oidcToken;
    fetchToken = async () => direct;
  } else if (file) {
    source = ENV.oidcTokenFile;
    fetchToken = async () => fromFile(file);
  } else if (env[GITHUB.url] && env[GITHUB.token]) {
    source = 'GitHub Actions (id-token: write)';
    const audience = oidcAudience(env, apiEndpoint);
    fetchToken = (s) => fromGithub(env, audience, s);
  } else if (env.GITHUB_ACTIONS === 'true') {
    const fork = forkPullRequest(env);
    if (fork) {
      return reason('oidc.fork_pull_request', `No credentials are set, and this job runs for a pull request from the fork ${fork}, to which GitHub gives no ID token`);
    }
    return reason('oidc.permission_missing', `No credentials are set, and this GitHub Actions job may not request an ID token (${GITHUB.url} is not set)`);
  } else {
    return undefined;
  }
  const next = async (s?: AbortSignal) => {
    const token = await fetchToken(s);
    if (typeof token === 'string') seen.push(token);
    return token;
  };
  const first = await next(signal);
  if (typeof first !== 'string') return first;
  const binding = bindingOf(first, source);
  if (typeof binding !== 'string') return binding;
  return { binding, source, first, next, secrets: () => [...seen, env[GITHUB.token] ?? ''] };
}
