import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeAtomic } from '../core/files.ts';
import { LICENSE_FILE_FORMAT, LICENSE_FILE_NAME, LOCK_STALE_MS } from '../core/constants.ts';
import type { LicenseClaims } from '../core/license.ts';
import { ActivationError } from './errors.ts';

export interface CacheFile {
  format: number;
  license: string;
  activatedAt: string;
  endpoint: string;
}

export interface WriteResult {
  path: string;
  /** Set when the cache folder could not be used and the license went to a temporary file. */
  warning?: string;
  /** The cache already held a newer license for the same credential; it was kept. */
  keptNewer?: boolean;
}

// Retries must outlast `stale`, or a lock left by a killed container would never be taken over.
const LOCK_OPTIONS = {
  realpath: false,
  stale: LOCK_STALE_MS,
  update: LOCK_STALE_MS / 2,
  retries: { retries: 60, factor: 1.2, minTimeout: 20, maxTimeout: 400, randomize: true },
} as const;

export function serialise(jws: string, endpoint: string, now: Date): string {
  const file: CacheFile = { format: LICENSE_FILE_FORMAT, license: jws, activatedAt: now.toISOString(), endpoint };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The claims of a JWS without verifying it: only to compare ages inside the lock. */
function peekClaims(jws: string): Partial<LicenseClaims> | undefined {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as Partial<LicenseClaims>;
  } catch {
    return undefined;
  }
}

function readCache(path: string): CacheFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    return typeof parsed.license === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function writeLocked(dir: string, jws: string, endpoint: string, now: Date): Promise<WriteResult> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LICENSE_FILE_NAME);
  let compromised: Error | undefined;
  const release = await lockfile.lock(path, {
    ...LOCK_OPTIONS,
    onCompromised: (error) => {
      compromised = error;
    },
  });
  try {
    const ours = peekClaims(jws);
    const existing = readCache(path);
    const theirs = existing && peekClaims(existing.license);
    if (theirs && ours && theirs.tok === ours.tok && (theirs.iat ?? 0) > (ours.iat ?? 0)) return { path, keptNewer: true };
    if (compromised) throw compromised;
    writeAtomic(path, serialise(jws, endpoint, now));
    return { path };
  } finally {
    await release().catch(() => {});
  }
}

/** One private temporary folder per process, so refreshes replace the same fallback file. */
let fallbackDir: string | undefined;

/**
 * Stores a verified license in `<dir>/license.json` (mode 0600) under a proper-lockfile lock.
 * A folder that cannot be written is no failure: the license goes to a private temporary file.
 */
export async function storeLicense(dir: string, jws: string, endpoint: string, now: Date): Promise<WriteResult> {
  try {
    return await writeLocked(dir, jws, endpoint, now);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    try {
      fallbackDir ??= mkdtempSync(join(tmpdir(), 'localstack-license-'));
      const path = join(fallbackDir, LICENSE_FILE_NAME);
      writeAtomic(path, serialise(jws, endpoint, now));
      return { path, warning: `cannot write the license cache in ${dir} (${code}); using ${path} for this container only` };
    } catch (cause) {
      throw new ActivationError('cache.unwritable', `cannot write the license to ${dir} (${code}) nor to a temporary file`, { cause });
    }
  }
}
