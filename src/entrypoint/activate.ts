import { randomUUID } from 'node:crypto';
import { activationBody, type CiEnvironment } from '../core/activation-body.ts';
import { cacheFiles } from '../core/cache-file.ts';
import { candidatePaths, chooseNewest, readCandidates, summariseRejections, type Candidate, type CandidatePaths } from '../core/candidates.ts';
import { ENV } from '../core/constants.ts';
import { resolveCredential } from '../core/credential-source.ts';
import { credentialBinding, maskCredential } from '../core/credentials.ts';
import type { Env } from '../core/env.ts';
import { LicenseError } from '../core/errors.ts';
import { loadJwks, verifyLicense, type Jwks, type VerifiedLicense } from '../core/license.ts';
import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import type { Config } from './config.ts';
import { storeLicense, storeLicenseAt, type Saved, type StoreContext } from './license-store.ts';
import { activateOnline, type OnlineResult } from './online.ts';
import { findOfflineLicense } from './offline-license.ts';
import type { VerifiedOfflineLicense } from '../core/offline-license.ts';
import type { IdTokenCredential } from './id-token.ts';

/** How the activation ended. `licenseFile` is the file the command is told about, and the one refresh() keeps fresh. */
export type Outcome =
  | { activated: true; mode: 'online' | 'offline'; licenseFile: string; license: VerifiedLicense; from?: string; warnings: string[] }
  /** An offline license file (issue 21): verified with no network; nothing to refresh. */
  | { activated: true; mode: 'offline-license'; licenseFile: string; offline: VerifiedOfflineLicense; from?: string; warnings: string[] }
  | { activated: false; mode: 'none'; reason: Reason; warnings: string[] };

/** What one background refresh came to. `refused`: the server said no (as opposed to failing or not being there). */
export type RefreshResult =
  | { ok: true; licenseFile: string; license: VerifiedLicense }
  | { ok: false; reason: Reason; refused: boolean };

export interface Activation {
  outcome: Outcome;
  /** Activates online again and keeps `outcome.licenseFile` fresh; never rejects. */
  refresh: (signal?: AbortSignal) => Promise<RefreshResult>;
  /** The start fell back offline: the first refresh should come soon rather than at the interval. */
  refreshSoon: boolean;
  /** Variables the command needs to check the license against its credential (an ID token already used, which names the pipeline). */
  credentialEnv?: Env;
}

export interface ActivateOptions {
  config: Config;
  /** The trusted public keys, or a JWKS file's path: read again when it changes (a key rotation), the last good copy kept otherwise. */
  keys: Jwks | string;
  /** Where the credential variables (and HTTP(S)_PROXY, NO_PROXY) are read from. */
  env: Env;
  /** CI detection; defaults to ci-info over the process environment. */
  ci?: CiEnvironment;
  /** Sent with the activation; random per container start (the default), reused by refreshes. */
  machineId?: string;
  /** Aborts the activation (a signal to the container); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  now?: () => Date;
  /** Offline candidates other than the cache (tests point them elsewhere). */
  paths?: CandidatePaths;
}

/** ci-info reads the process environment once, at import. */
export async function detectCi(): Promise<CiEnvironment> {
  const mod = await import('ci-info');
  const ci = mod.default ?? mod;
  return { isCI: ci.isCI === true, name: ci.name ?? null };
}

/** Why an online activation that ended without an answer failed, for the banner: each cause its own code. */
function failureReason(result: Extract<OnlineResult, { kind: 'failed' }>, rejections: string): Reason {
  const detail = `${result.detail}; ${rejections}`;
  if (result.tls) return { code: 'tls.failed', detail };
  if (result.answered === 'busy') return { code: 'server.busy', detail };
  if (result.answered === 'failing') return { code: 'server.failing', detail };
  if (result.answered === 'unexpected') return { code: 'server.unexpected', detail };
  return { code: 'offline.unavailable', detail };
}

/** The warning of an offline start: what the server did, in words. */
function failureWords(result: Extract<OnlineResult, { kind: 'failed' }>): string {
  if (result.answered === 'busy') return `the license server was busy (${result.detail})`;
  if (result.answered === 'failing') return `the license server is failing (${result.detail})`;
  if (result.answered === 'unexpected') return `the license server gave an unexpected answer (${result.detail})`;
  return `the license server could not be reached (${result.detail})`;
}

/** A license from the server that fails only on time: the two clocks differ, the license is not forged. */
const CLOCK_CODES = new Set(['license.clock_rolled_back', 'license.offline_expired']);

/** Keys from a path are read again whenever the file changed; a file that turned bad keeps the last good keys. */
function keySource(keys: Jwks | string): () => Jwks {
  if (typeof keys !== 'string') return () => keys;
  let last = loadJwks(keys);
  return () => {
    try {
      last = loadJwks(keys);
    } catch {
      // Mid-rewrite or broken: the keys already trusted stay trusted until a good file appears.
    }
    return last;
  };
}

const NO_REFRESH = async (): Promise<RefreshResult> => ({ ok: false, reason: { code: 'refresh.none', detail: 'nothing was activated' }, refused: true });

/**
 * The whole activation, without printing or exiting: credential checks, online activation with
 * retries, the cache, the offline fallback. Returns the outcome and a refresh() bound to it.
 */
export async function activate(options: ActivateOptions): Promise<Activation> {
  const { config, env } = options;
  const now = options.now ?? (() => new Date());
  const keys = keySource(options.keys);
  const warnings: string[] = [];
  const failed = (reason: Reason): Activation => ({ outcome: { activated: false, mode: 'none', reason, warnings }, refresh: NO_REFRESH, refreshSoon: false });

  const ci = options.ci ?? (await detectCi());
  const credential = resolveCredential(env, ci);
  /** The offline license, when one is there: used (or refused with its reason) with no request to the server. */
  const offlineLicense = async (warning?: string): Promise<Activation | undefined> => {
    const found = await findOfflineLicense(env, keys(), now(), options.paths?.mounted);
    if (!found.found) return undefined;
    if ('reason' in found) return failed(found.reason);
    if (warning) warnings.push(warning);
    return { outcome: { activated: true, mode: 'offline-license', licenseFile: found.path, offline: found.verified, from: found.path, warnings }, refresh: NO_REFRESH, refreshSoon: false };
  };
  let idToken: IdTokenCredential | undefined;
  if (!credential.ok) {
    // No credential variable: the CI platform's ID token may stand in (docs/ci-without-secrets.md), loaded only then;
    // without one, an offline license file (issue 21).
    const missing = credential.reason.code === 'credentials.missing';
    const pipeline = missing ? await (await import('./id-token.ts')).idTokenCredential(env, config.apiEndpoint, options.signal) : undefined;
    if (!pipeline) return (missing ? await offlineLicense() : undefined) ?? failed(credential.reason);
    if ('code' in pipeline) return failed(pipeline);
    idToken = pipeline;
  }
  // With an ID token, `value` is the pipeline's identity the license is bound to; the token itself is only ever sent.
  const { value, kind } = credential.ok ? credential.resolved.credential : { value: idToken!.binding, kind: 'ci' as const };
  if (credential.ok && kind === 'legacy') {
    warnings.push(`${credential.resolved.source} holds a legacy API key (${maskCredential(value)}); legacy keys are being sunset. Switch to ${ENV.authToken}.`);
  }
  const body = activationBody(ci, options.machineId ?? randomUUID());
  const verify = (jws: string) => verifyLicense(jws, { keys: keys(), credential: value, now: now() });
  const verifyAny = (jws: string) => verifyLicense(jws, { keys: keys(), now: now() });
  const context = (signal?: AbortSignal): StoreContext => ({ endpoint: config.apiEndpoint, now: now(), verify, verifyAny, signal });
  let firstIdToken = idToken?.first;
  const online = async (fallbackAtHand: () => Promise<boolean>, signal?: AbortSignal): Promise<OnlineResult> => {
    let bearer = value;
    if (idToken) {
      // Each ID token activates once: a refresh asks for a fresh one.
      const fresh = firstIdToken ?? (await idToken.next(signal));
      firstIdToken = undefined;
      if (typeof fresh !== 'string') return { kind: 'refused', reason: fresh };
      bearer = fresh;
    }
    return activateOnline({ endpoint: config.apiEndpoint, credential: bearer, body, timeoutMs: config.activationTimeoutMs, env, signal, fallbackAtHand });
  };
  /** A license from the server is only ever kept once it verifies. */
  const accept = async (result: Extract<OnlineResult, { kind: 'license' }>): Promise<{ license: VerifiedLicense } | { reason: Reason }> => {
    try {
      return { license: await verify(result.jws) };
    } catch (error) {
      if (error instanceof LicenseError) {
        return { reason: { code: CLOCK_CODES.has(error.code) ? 'clock.skew' : 'license.not_genuine', detail: `${error.message} [${error.code}]` } };
      }
      throw error;
    }
  };

  // Read only when the server is missing (or refuses nothing and answers nothing): with a license that verifies at
  // hand, a missing server is no reason to wait; an activation that succeeds at once never reads it.
  let cached: Promise<Candidate[]> | undefined;
  const candidates = () => (cached ??= readCandidates(candidatePaths(config.cacheDir, value, options.paths), { keys: keys(), credential: value, now: now() }));

  const result = await online(async () => chooseNewest(await candidates()) !== undefined, options.signal);
  options.signal?.throwIfAborted();
  let saved: Saved;
  let mode: 'online' | 'offline';
  let from: string | undefined;
  if (result.kind === 'refused') return failed(result.reason);
  if (result.kind === 'license') {
    const accepted = await accept(result);
    if ('reason' in accepted) return failed(accepted.reason);
    saved = await storeLicense(config.cacheDir, accepted.license, context(options.signal));
    mode = 'online';
  } else {
    const found = await candidates();
    const best = chooseNewest(found);
    if (!best) {
      // With a credential the online activation wins; the offline license is the fallback when it cannot happen.
      const fallback = await offlineLicense(`${failureWords(result)}; using the offline license instead`);
      if (fallback?.outcome.activated) return fallback;
      const offlineWhy = fallback && !fallback.outcome.activated ? `; the offline license cannot be used either (${fallback.outcome.reason.detail})` : '';
      return failed(failureReason(result, summariseRejections(found) + offlineWhy));
    }
    warnings.push(`${failureWords(result)}; using the cached license from ${best.path} and trying again in the background`);
    mode = 'offline';
    from = best.path;
    // The mounted or baked copy is never refreshed in place: the command is told about the cache's copy.
    saved = cacheFiles(config.cacheDir, credentialBinding(value)).includes(best.path)
      ? { ok: true, path: best.path, license: best.verified, kept: false }
      : await storeLicense(config.cacheDir, best.verified, context(options.signal));
    if (!saved.ok) saved = { ok: true, path: best.path, license: best.verified, kept: false, warning: `${saved.reason.detail}; the command reads ${best.path}, which cannot be refreshed` };
  }
  options.signal?.throwIfAborted();
  if (!saved.ok) return failed(saved.reason);
  if (saved.warning) warnings.push(saved.warning);
  const licenseFile = saved.path;

  const refresh = async (signal?: AbortSignal): Promise<RefreshResult> => {
    try {
      const again = await online(async () => false, signal);
      if (again.kind === 'failed') return { ok: false, reason: { code: failureReason(again, '').code, detail: failureWords(again) }, refused: false };
      if (again.kind === 'refused') return { ok: false, reason: again.reason, refused: true };
      const accepted = await accept(again);
      if ('reason' in accepted) return { ok: false, reason: accepted.reason, refused: true };
      const stored = await storeLicenseAt(licenseFile, accepted.license, context(signal));
      return stored.ok ? { ok: true, licenseFile, license: stored.license } : { ok: false, reason: stored.reason, refused: false };
    } catch (error) {
      return { ok: false, reason: { code: 'refresh.failed', detail: outsideText((error as Error)?.message ?? error, [value, ...(idToken?.secrets() ?? [])]) }, refused: false };
    }
  };
  // The product binds the license to the pipeline's identity, read from the (used, single-use) ID token.
  const credentialEnv = idToken && !env[ENV.oidcToken] && !env[ENV.oidcTokenFile] ? { [ENV.oidcToken]: idToken.first } : undefined;
  return { outcome: { activated: true, mode, licenseFile, license: saved.license, from, warnings }, refresh, refreshSoon: mode === 'offline', credentialEnv };
}
