import { PRODUCT } from '../core/constants.ts';
import { verifyLicense } from '../core/license.ts';
import { VERSION } from '../core/version.ts';
import { activateOnline } from './activation-client.ts';
import type { Config, Env } from './config.ts';
import type { CiEnvironment } from './credentials.ts';
import { storeLicense } from './license-file.ts';
import { reasonText } from './reasons.ts';

/** ±10 %: containers started together do not refresh together. */
export function refreshDelay(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random));
}

/** One online refresh; resolves with a line to log, never rejects. */
export async function refreshOnce(config: Config, env: Env, credential: string, ci: CiEnvironment, machineId: string): Promise<{ ok: boolean; message: string }> {
  try {
    const online = await activateOnline({
      endpoint: config.apiEndpoint, credential, timeoutMs: config.activationTimeoutMs, env,
      body: { product: PRODUCT, version: VERSION, ci: ci.isCI, ciProvider: ci.name, machineId },
    });
    if (online.kind === 'unreachable') return { ok: false, message: `license refresh failed: ${online.detail}; the cached license stays in use` };
    if (online.kind === 'definitive') return { ok: false, message: `license refresh refused: ${reasonText(online.reason)}` };
    const { claims } = await verifyLicense(online.jws, { keys: config.trustedKeys, credential, now: new Date() });
    const stored = await storeLicense(config.cacheDir, online.jws, config.apiEndpoint, new Date());
    return { ok: true, message: `License refreshed: ${claims.lic.id} valid offline until ${new Date(claims.exp * 1000).toISOString()} (${stored.path})` };
  } catch (error) {
    return { ok: false, message: `license refresh failed: ${(error as Error).message}` };
  }
}

/** Refreshes every interval (± jitter) while the command runs; the timer never keeps the process alive. */
export function scheduleRefresh(intervalMs: number, run: () => Promise<void>): () => void {
  let timer: NodeJS.Timeout;
  const next = () => {
    timer = setTimeout(() => void run().finally(next), refreshDelay(intervalMs, Math.random()));
    timer.unref();
  };
  next();
  return () => clearTimeout(timer);
}
