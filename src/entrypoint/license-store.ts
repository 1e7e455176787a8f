import { accessSync, constants, lstatSync, mkdir, mkdirSync, mkdtempSync, readdirSync, realpath, realpathSync, rmdir, rmdirSync, rmSync, stat, statSync, utimes, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { cacheFiles, serialise } from '../core/cache-file.ts';
import { ENV, LICENSE_FILE_NAME, OFFLINE_VALIDITY_S } from '../core/constants.ts';
import { makeFolders, removeStaleTemps, writeAtomic } from '../core/files.ts';
import { readLicenseFile, type VerifiedLicense } from '../core/license.ts';
import type { Reason } from '../core/reason.ts';
import { FALLBACK_PREFIX, LOCK_FUTURE_SKEW_MS, LOCK_STALE_MS, LOCK_WAIT_MS, STALE_TEMP_MS } from './defaults.ts';
import { isoTime } from '../core/iso-time.ts';

export interface StoreContext {
  endpoint: string;
  now: Date;
  /** Verifies a JWS as the activation does (trusted keys, the credential in use, now). */
  verify: (jws: string) => Promise<VerifiedLicense>;
  /** Verifies a JWS bound to any credential: is a file still another credential's valid license? */
  verifyAny: (jws: string) => Promise<VerifiedLicense>;
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

/** A file system error's code, with what it means where the code alone misleads. */
export function describeStoreError(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return (error as Error)?.message ?? String(error);
  const words: Record<string, string> = {
    EROFS: 'EROFS: read-only file system',
    EACCES: 'EACCES: permission denied',
    ENOSPC: 'ENOSPC: no space left',
    ENOTDIR: 'ENOTDIR: a file stands where a folder should be',
    'cache.foreign': 'it holds a valid license of another credential',
  };
  return words[code] ?? code;
}

/**
 * Creates the cache folder. mkdir -p reports the first missing level's ENOENT (or EEXIST for a file in
 * the folder's place): the error returned names the real cause, EROFS / EACCES / ENOTDIR.
 */
function makeFolder(dir: string): void {
  try {
    makeFolders(dir);
    return;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ENOENT' && code !== 'EEXIST') throw error;
    let at = dir;
    for (;;) {
      let stats;
      try {
        stats = statSync(at);
      } catch {
        if (dirname(at) === at) throw error;
        at = dirname(at);
        continue;
      }
      if (!stats.isDirectory()) throw Object.assign(new Error(`${at} is a file, not a folder`), { code: 'ENOTDIR' });
      // access(2) answers EROFS on a read-only mount and EACCES without the right to write.
      accessSync(at, constants.W_OK);
      throw error;
    }
  }
}

/**
 * proper-lockfile never calls a lock stale whose time lies in the future (a clock set back, a copied
 * volume): such a lock would stall every start. Removes it, and says so.
 */
function takeOverFutureLock(lock: string, nowMs: number): string | undefined {
  try {
    const stats = lstatSync(lock);
    if (!stats.isDirectory() || stats.mtimeMs <= nowMs + LOCK_FUTURE_SKEW_MS) return undefined;
    rmSync(lock, { recursive: true, force: true });
    return `the lock folder ${lock} was dated in the future (${isoTime(stats.mtime)}); it was taken over as stale. If this recurs, check the system clock, or remove ${lock}`;
  } catch {
    return undefined;
  }
}

interface Lock {
  release: () => Promise<void>;
  compromised: () => Error | undefined;
  warning?: string;
}

// Only what proper-lockfile calls: its synchronous mode copies the whole fs object, whose lazy getters load fs streams.
const LOCK_FS = { mkdir, mkdirSync, realpath, realpathSync, rmdir, rmdirSync, stat, statSync, utimes, utimesSync };

/**
 * proper-lockfile retries every error (EROFS, EACCES…) for as long as it retries a held lock: here only
 * a held lock (ELOCKED) is waited for, and everything else fails at once.
 */
async function acquire(path: string, signal?: AbortSignal): Promise<Lock> {
  const until = Date.now() + LOCK_WAIT_MS;
  let compromised: Error | undefined;
  let warning: string | undefined;
  for (let wait = 20; ; wait = Math.min(wait * 1.5, 400)) {
    try {
      // The synchronous calls: a lock held for a few milliseconds needs no libuv thread pool (4 threads, ~1 MiB kept).
      const releaseSync = lockfile.lockSync(path, {
        realpath: false, stale: LOCK_STALE_MS, update: LOCK_STALE_MS / 2, fs: LOCK_FS,
        onCompromised: (error) => {
          compromised = error;
        },
      });
      return { release: async () => releaseSync(), compromised: () => compromised, warning };
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'ELOCKED' || Date.now() + wait > until || signal?.aborted) throw error;
      // A regular file in the lock folder's place is no lock: nobody will ever release it.
      let isLockDir = true;
      try {
        isLockDir = lstatSync(`${path}.lock`).isDirectory();
      } catch {
        // Released meanwhile: try again.
      }
      if (!isLockDir) throw Object.assign(new Error(`${path}.lock is not a lock folder`), { code: 'ENOTDIR' });
      const future = takeOverFutureLock(`${path}.lock`, Date.now());
      if (future) {
        warning = future;
        continue;
      }
      await sleep(wait * (0.5 + Math.random()), undefined, { signal }).catch(() => {});
    }
  }
}

/** What `path` holds: our license (verified as the activation would), another credential's valid one, or nothing usable. */
async function occupant(path: string, ctx: StoreContext): Promise<{ ours: VerifiedLicense } | { foreign: true } | undefined> {
  let jws: string;
  try {
    jws = readLicenseFile(path);
  } catch {
    return undefined;
  }
  try {
    return { ours: await ctx.verify(jws) };
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'license.credential_mismatch') return undefined;
  }
  try {
    await ctx.verifyAny(jws);
    return { foreign: true };
  } catch {
    return undefined;
  }
}

type Written = { path: string; license: VerifiedLicense; kept: boolean; warning?: string };

/**
 * Writes `license` to `path` under a lock, unless `path` already holds a newer license of ours (kept),
 * or a still-valid license of another credential (never replaced: that container's LICENSE_FILE names
 * it; throws `cache.foreign`). A file that does not verify is replaced, whatever it claims. Stale temp
 * files of writers killed between write and rename are removed on the way.
 */
async function writeLocked(path: string, license: VerifiedLicense, ctx: StoreContext): Promise<Written> {
  makeFolder(dirname(path));
  const lock = await acquire(path, ctx.signal);
  try {
    removeStaleTemps(path, STALE_TEMP_MS, ctx.now.getTime());
    const current = await occupant(path, ctx);
    if (current && 'foreign' in current) throw Object.assign(new Error(`${path} holds a valid license of another credential`), { code: 'cache.foreign' });
    if (current && current.ours.claims.iat > license.claims.iat) return { path, license: current.ours, kept: true, warning: lock.warning };
    const compromised = lock.compromised();
    if (compromised) throw compromised;
    writeAtomic(path, serialise(license.jws, ctx.endpoint, ctx.now));
    return { path, license, kept: false, warning: lock.warning };
  } finally {
    await lock.release().catch(() => {});
  }
}

/** One private temporary folder per process and base, so later writes replace the same fallback file; removed at exit. */
const fallbackDirs = new Map<string, string>();
/** Where a container whose every disk is read-only (`--read-only`, a read-only volume) still has memory to write to. */
const MEMORY_DIR = '/dev/shm';

/** Fallback folders older than the offline validity hold nothing usable: left by killed processes. */
function removeStaleFallbacks(base: string, nowMs: number): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith(FALLBACK_PREFIX)) continue;
    const dir = join(base, name);
    try {
      const stats = lstatSync(dir);
      if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) continue;
      if (nowMs - stats.mtimeMs > OFFLINE_VALIDITY_S * 1000) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours: nothing to do.
    }
  }
}

function fallbackFolder(now: Date, base = tmpdir()): string {
  const known = fallbackDirs.get(base);
  if (known) return known;
  removeStaleFallbacks(base, now.getTime());
  const dir = mkdtempSync(join(base, FALLBACK_PREFIX));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  fallbackDirs.set(base, dir);
  return dir;
}

/**
 * Stores a verified license in the cache (mode 0600): `license.json`, or the credential's own file when
 * license.json holds another credential's valid license. A folder that cannot be written is no
 * failure: the license goes to a private temporary file, and a warning says so.
 */
export async function storeLicense(cacheDir: string, license: VerifiedLicense, ctx: StoreContext): Promise<Saved> {
  const [shared, own] = cacheFiles(cacheDir, license.claims.tok);
  try {
    try {
      return { ok: true, ...(await writeLocked(shared, license, ctx)) };
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'cache.foreign') throw error;
      return { ok: true, ...(await writeLocked(own, license, ctx)) };
    }
  } catch (error) {
    const why = describeStoreError(error);
    try {
      const path = join(fallbackFolder(ctx.now), LICENSE_FILE_NAME);
      writeAtomic(path, serialise(license.jws, ctx.endpoint, ctx.now));
      return { ok: true, path, license, kept: false, warning: `cannot write the license cache in ${cacheDir} (${why}); using ${path} for this container only` };
    } catch (cause) {
      // Activated, yet no disk takes the file: the license is kept in memory for the product, and this start leaves
      // no offline copy behind (the decision of issue 17: Pro starts, one warning says so).
      try {
        const path = join(fallbackFolder(ctx.now, MEMORY_DIR), LICENSE_FILE_NAME);
        writeAtomic(path, serialise(license.jws, ctx.endpoint, ctx.now));
        return { ok: true, path, license, kept: false, warning: `cannot write the license cache in ${cacheDir} (${why}) nor a temporary file (${describeStoreError(cause)}); the license is held in memory (${path}) for this container only: a restart without the license server cannot start Pro. Give the container a writable ${ENV.cacheDir} (a volume its user can write) to keep an offline copy` };
      } catch (memory) {
        return { ok: false, reason: { code: 'cache.unwritable', detail: `cannot write the license to ${cacheDir} (${why}), to a temporary file (${describeStoreError(cause)}) nor to ${MEMORY_DIR} (${describeStoreError(memory)})` } };
      }
    }
  }
}

/** Stores a verified license at exactly `path`: the file the command was told about stays the fresh one. */
export async function storeLicenseAt(path: string, license: VerifiedLicense, ctx: StoreContext): Promise<Saved> {
  try {
    return { ok: true, ...(await writeLocked(path, license, ctx)) };
  } catch (error) {
    return { ok: false, reason: { code: 'cache.unwritable', detail: `cannot write the license to ${path} (${describeStoreError(error)})` } };
  }
}
