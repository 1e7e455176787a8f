import { PRODUCT } from '../core/constants.ts';
import { LicenseError } from '../core/errors.ts';
import { verifyLicense, type Jwks, type LicenseClaims } from '../core/license.ts';
import { VERSION } from '../core/version.ts';
import { activateOnline } from './activation-client.ts';
import type { Config, Env } from './config.ts';
import type { CiEnvironment } from './credentials.ts';
import { ActivationError } from './errors.ts';
import type { WriteResult } from './license-file.ts';
import type { Reason } from './reasons.ts';

export type OnlineLicense =
  | { kind: 'stored'; claims: LicenseClaims; stored: WriteResult }
  | { kind: 'refused'; reason: Reason }
  | { kind: 'unreachable'; detail: string; tls: boolean };

/** Activate online, verify the answer, store it: the path shared by the start and every refresh. */
export async function fetchLicense(input: {
  config: Config;
  env: Env;
  credential: string;
  keys: Jwks | string;
  ci: CiEnvironment;
  machineId: string;
  now: () => Date;
  signal?: AbortSignal;
}): Promise<OnlineLicense> {
  const { config, credential } = input;
  const online = await activateOnline({
    endpoint: config.apiEndpoint, credential, timeoutMs: config.activationTimeoutMs, env: input.env, signal: input.signal,
    body: { product: PRODUCT, version: VERSION, ci: input.ci.isCI, ciProvider: input.ci.name, machineId: input.machineId },
  });
  if (online.kind === 'unreachable') return online;
  if (online.kind === 'definitive') return { kind: 'refused', reason: online.reason };
  let claims: LicenseClaims;
  try {
    ({ claims } = await verifyLicense(online.jws, { keys: input.keys, credential, now: input.now() }));
  } catch (error) {
    if (error instanceof LicenseError) return { kind: 'refused', reason: { code: 'license.not_genuine', detail: `${error.message} [${error.code}]` } };
    throw error;
  }
  // Loaded only once a license is in hand: the lock is not needed on any other path.
  const { storeLicense } = await import('./license-file.ts');
  try {
    return { kind: 'stored', claims, stored: await storeLicense(config.cacheDir, online.jws, config.apiEndpoint, input.now()) };
  } catch (error) {
    if (error instanceof ActivationError) return { kind: 'refused', reason: { code: error.code, detail: error.message } };
    throw error;
  }
}
