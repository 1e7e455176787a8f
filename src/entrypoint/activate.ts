import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ENV } from '../core/constants.ts';
import { maskCredential } from '../core/credentials.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import { loadJwks, type Jwks, type LicenseClaims } from '../core/license.ts';
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
  /** Sent with the activation; random per container start (the default), and reused by refreshes. */
  machineId?: string;
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

  const { fetchLicense } = await import('./online-license.ts');
  const online = await fetchLicense({
    config, env, credential: value, keys, ci, machineId: options.machineId ?? randomUUID(), now, signal: options.signal,
  });
  if (online.kind === 'refused') return fail(online.reason, resolved);
  if (online.kind === 'stored') {
    if (online.stored.warning) warnings.push(online.stored.warning);
    return { activated: true, mode: 'online', licenseFile: online.stored.path, claims: online.claims, warnings, config, credential: resolved };
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
