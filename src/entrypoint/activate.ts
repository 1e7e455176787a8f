import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENV, PRODUCT } from '../core/constants.ts';
import { maskCredential } from '../core/credentials.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import { LicenseError } from '../core/errors.ts';
import { loadJwks, verifyLicense, type Jwks, type LicenseClaims } from '../core/license.ts';
import { VERSION } from '../core/version.ts';
import { readConfig, type Config, type Env } from './config.ts';
import { resolveCredential, type CiEnvironment, type ResolvedCredential } from './credentials.ts';
import { ActivationError, ConfigError } from './errors.ts';
import { candidatePaths, chooseNewest, readCandidates, summariseRejections } from './offline.ts';
import type { Reason } from './reasons.ts';

export type Outcome =
  | { activated: true; mode: 'online' | 'offline'; licenseFile: string; claims: LicenseClaims; warnings: string[]; config: Config; credential: ResolvedCredential }
  | { activated: false; mode: 'none'; reason: Reason; warnings: string[]; config: Config; credential?: ResolvedCredential };

export interface ActivateOptions {
  env?: Env;
  now?: () => Date;
  /** Aborts the activation (a signal to the container); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** CI detection; defaults to ci-info over the process environment. */
  ci?: CiEnvironment;
  isTTY?: boolean;
  /** Offline candidates other than the cache (tests point them elsewhere). */
  paths?: { mounted: string; baked: string };
}

/** ci-info reads the process environment once, at import. */
export async function detectCi(): Promise<CiEnvironment> {
  const mod = await import('ci-info');
  const ci = mod.default ?? mod;
  return { isCI: ci.isCI === true, name: ci.name ?? null };
}

function loadKeys(config: Config): Jwks {
  try {
    return loadJwks(config.trustedKeys);
  } catch (cause) {
    throw new ConfigError(ENV.trustedKeys, `${ENV.trustedKeys}=${config.trustedKeys} is invalid: use the path of a JWKS file with the license server's public keys`, { cause });
  }
}

/**
 * The whole activation, without printing or exiting: configuration, credential checks, online
 * activation with retries, the cache, the offline fallback. Throws ConfigError for invalid variables.
 */
export async function activate(options: ActivateOptions = {}): Promise<Outcome> {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const config = readConfig(env, { defaultTrustedKeys: defaultTrustedKeysPath(), isTTY: options.isTTY ?? false });
  const keys = loadKeys(config);
  const warnings: string[] = [];
  const ci = options.ci ?? (await detectCi());
  const fail = (reason: Reason, credential?: ResolvedCredential): Outcome => ({ activated: false, mode: 'none', reason, warnings, config, credential });

  let resolved: ResolvedCredential;
  try {
    resolved = resolveCredential(env, ci, (path) => readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof ActivationError) return fail({ code: error.code, detail: error.message });
    throw error;
  }
  const value = resolved.credential.value;
  if (resolved.credential.kind === 'legacy') {
    warnings.push(`${resolved.source} holds a legacy API key (${maskCredential(value)}); legacy keys are being sunset. Switch to ${ENV.authToken}.`);
  }

  const { activateOnline } = await import('./activation-client.ts');
  const online = await activateOnline({
    endpoint: config.apiEndpoint, credential: value, timeoutMs: config.activationTimeoutMs, env, signal: options.signal,
    body: { product: PRODUCT, version: VERSION, ci: ci.isCI, ciProvider: ci.name, machineId: randomUUID() },
  });
  if (online.kind === 'definitive') return fail(online.reason, resolved);
  if (online.kind === 'license') {
    let claims: LicenseClaims;
    try {
      ({ claims } = await verifyLicense(online.jws, { keys, credential: value, now: now() }));
    } catch (error) {
      if (error instanceof LicenseError) return fail({ code: 'license.not_genuine', detail: `${error.message} [${error.code}]` }, resolved);
      throw error;
    }
    const { storeLicense } = await import('./license-file.ts');
    let stored: Awaited<ReturnType<typeof storeLicense>>;
    try {
      stored = await storeLicense(config.cacheDir, online.jws, config.apiEndpoint, now());
    } catch (error) {
      if (error instanceof ActivationError) return fail({ code: error.code, detail: error.message }, resolved);
      throw error;
    }
    if (stored.warning) warnings.push(stored.warning);
    return { activated: true, mode: 'online', licenseFile: stored.path, claims, warnings, config, credential: resolved };
  }

  const candidates = await readCandidates(candidatePaths(config.cacheDir, options.paths), { keys, credential: value, now: now() });
  const best = chooseNewest(candidates);
  if (!best) {
    const detail = `${online.detail}; ${summariseRejections(candidates)}`;
    return fail({ code: online.tls ? 'tls.failed' : 'offline.unavailable', detail }, resolved);
  }
  warnings.push(`the license server could not be reached (${online.detail}); using the cached license from ${best.path}`);
  return { activated: true, mode: 'offline', licenseFile: best.path, claims: best.verified.claims, warnings, config, credential: resolved };
}
