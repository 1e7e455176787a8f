import type { Config, Env } from './config.ts';
import type { CiEnvironment } from './credentials.ts';
import { fetchLicense } from './online-license.ts';
import { reasonText } from './reasons.ts';

/** ±10 %: containers started together do not refresh together. */
export function refreshDelay(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random));
}

/** One online refresh; resolves with a line to log, never rejects. */
export async function refreshOnce(config: Config, env: Env, credential: string, ci: CiEnvironment, machineId: string): Promise<{ ok: boolean; message: string }> {
  try {
    const online = await fetchLicense({ config, env, credential, keys: config.trustedKeys, ci, machineId, now: () => new Date() });
    if (online.kind === 'unreachable') return { ok: false, message: `license refresh failed: ${online.detail}; the cached license stays in use` };
    if (online.kind === 'refused') return { ok: false, message: `license refresh refused: ${reasonText(online.reason)}` };
    const until = new Date(online.claims.exp * 1000).toISOString();
    return { ok: true, message: `License refreshed: ${online.claims.lic.id} valid offline until ${until} (${online.stored.path})` };
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
