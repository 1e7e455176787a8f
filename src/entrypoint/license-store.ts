import { lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { serialise } from '../core/cache-file.ts';
import { LICENSE_FILE_NAME } from '../core/constants.ts';
import { removeStaleTemps, writeAtomic } from '../core/files.ts';
import { readLicenseFile, type VerifiedLicense } from '../core/license.ts';
import type { Reason } from '../core/reason.ts';
import { LOCK_STALE_MS, LOCK_WAIT_MS, STALE_TEMP_MS } from './defaults.ts';

export interface StoreContext {
  endpoint: string;
  now: Date;
  /** Verifies a JWS as the activation does (trusted keys, the credential in use, now). */
  verify: (jws: string) => Promise<VerifiedLicense>;
  /** A signal to the container: stop waiting for a held lock. */
  signal?: AbortSignal;
}

/** Where a license now lies, and which license that is (a newer verified one may have been kept). */
export type Saved =
  | { ok: true; path: string; license: VerifiedLicense; kept: boolean; warning?: string }
  | { ok: false; reason: Reason };

export function cachePath(cacheDir: string): string {
  return join(cacheDir, LICENSE_FILE_NAME);
}

const errorCode = (error: unknown): string => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : (error as Error)?.message ?? String(error);
};

/**
 * proper-lockfile retries every error (EROFS, EACCES…) for as long as it retries a held lock: here only
 * a held lock (ELOCKED) is waited for, and everything else fails at once.
 */
async function acquire(path: string, signal?: AbortSignal): Promise<{ release: () => Promise<void>; compromised: () => Error | undefined }> {
  const until = Date.now() + LOCK_WAIT_MS;
  let compromised: Error | undefined;
  for (let wait = 20; ; wait = Math.min(wait * 1.5, 400)) {
    try {
      const release = await lockfile.lock(path, {
        realpath: false, stale: LOCK_STALE_MS, update: LOCK_STALE_MS / 2, retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
      return { release, compromised: () => compromised };
    } catch (error) {
      if (errorCode(error) !== 'ELOCKED' || Date.now() + wait > until || signal?.aborted) throw error;
      // A regular file in the lock folder's place is no lock: nobody will ever release it.
      let isLockDir = true;
      try {
        isLockDir = lstatSync(`${path}.lock`).isDirectory();
      } catch {
        // Released meanwhile: try again.
      }
      if (!isLockDir) throw Object.assign(new Error(`${path}.lock is not a lock folder`), { code: 'ENOTDIR' });
      await sleep(wait * (0.5 + Math.random()), undefined, { signal }).catch(() => {});
    }
  }
}

/** The license in `path` if it verifies as the activation would; never trusted otherwise. */
async function existing(path: string, verify: StoreContext['verify']): Promise<VerifiedLicense | undefined> {
  try {
    return await verify(readLicenseFile(path));
  } catch {
    return undefined;
  }
}

/**
 * Writes `license` to `path` under a lock, unless `path` already holds a newer license that verifies
 * (then that one is kept). A file that does not verify is replaced, whatever it claims. Stale temp
 * files of writers killed between write and rename are removed on the way.
 */
async function writeLocked(path: string, license: VerifiedLicense, ctx: StoreContext): Promise<{ path: string; license: VerifiedLicense; kept: boolean }> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = await acquire(path, ctx.signal);
  try {
    removeStaleTemps(path, STALE_TEMP_MS, ctx.now.getTime());
    const current = await existing(path, ctx.verify);
    if (current && current.claims.iat > license.claims.iat) return { path, license: current, kept: true };
    const compromised = lock.compromised();
    if (compromised) throw compromised;
    writeAtomic(path, serialise(license.jws, ctx.endpoint, ctx.now));
    return { path, license, kept: false };
  } finally {
    await lock.release().catch(() => {});
  }
}

/** One private temporary folder per process, so later writes replace the same fallback file. */
let fallbackDir: string | undefined;

/**
 * Stores a verified license in `<cacheDir>/license.json` (mode 0600). A folder that cannot be written
 * is no failure: the license goes to a private temporary file, and a warning says so.
 */
export async function storeLicense(cacheDir: string, license: VerifiedLicense, ctx: StoreContext): Promise<Saved> {
  try {
    return { ok: true, ...(await writeLocked(cachePath(cacheDir), license, ctx)) };
  } catch (error) {
    const code = errorCode(error);
    try {
      fallbackDir ??= mkdtempSync(join(tmpdir(), 'localstack-license-'));
      const path = join(fallbackDir, LICENSE_FILE_NAME);
      writeAtomic(path, serialise(license.jws, ctx.endpoint, ctx.now));
      return { ok: true, path, license, kept: false, warning: `cannot write the license cache in ${cacheDir} (${code}); using ${path} for this container only` };
    } catch (cause) {
      return { ok: false, reason: { code: 'cache.unwritable', detail: `cannot write the license to ${cacheDir} (${code}) nor to a temporary file (${errorCode(cause)})` } };
    }
  }
}

/** Stores a verified license at exactly `path`: the file the command was told about stays the fresh one. */
export async function storeLicenseAt(path: string, license: VerifiedLicense, ctx: StoreContext): Promise<Saved> {
  try {
    return { ok: true, ...(await writeLocked(path, license, ctx)) };
  } catch (error) {
    return { ok: false, reason: { code: 'cache.unwritable', detail: `cannot write the license to ${path} (${errorCode(error)})` } };
  }
}
