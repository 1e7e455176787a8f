import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CodedError } from './errors.ts';

const TEMP_SUFFIX = '.tmp';

/**
 * Temp file in the same folder, fsync, rename: readers see the old file or the new one, never a torn
 * one, and a failure leaves nothing behind. The mode is set at creation, so the secret is never readable by others.
 */
export function writeAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Removes what writeAtomic leaves when killed between write and rename (`<path>.*.tmp`), once older
 * than `olderThanMs`, so a writer still in flight is never disturbed. Returns the names removed.
 */
export function removeStaleTemps(path: string, olderThanMs: number, nowMs = Date.now()): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    try {
      const full = join(dir, name);
      if (nowMs - statSync(full).mtimeMs < olderThanMs) continue;
      rmSync(full, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}

/** What a non-regular file is, in words: a named pipe would block a reader forever. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The short cause of a file error for a message: the system's code, or what the file is instead. */
export function fileErrorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'file.not_regular' && typeof e.message === 'string') return e.message.replace(/^.* is /, '');
  return typeof e?.code === 'string' ? e.code : error instanceof SyntaxError ? 'not JSON' : 'error';
}

/**
 * Reads a UTF-8 regular file of at most `limit` bytes; a larger one is refused without being read
 * (`file.too_large`), and a FIFO, device or socket is refused without blocking (`file.not_regular`).
 * Errors keep the system's code (ENOENT, EACCES, EISDIR…).
 */
export function readBounded(path: string, limit: number): string {
  // O_NONBLOCK: opening a named pipe with no writer would otherwise block this process (and its signals) forever.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path} is a folder`), { code: 'EISDIR' });
    if (!stats.isFile()) throw new CodedError('file.not_regular', `${path} is ${kindOf(stats)}`);
    const size = stats.size;
    if (size > limit) throw new CodedError('file.too_large', `${path} is ${size} bytes, more than the ${limit} allowed`);
    // Read at most limit + 1 bytes: a file that grows (or reports size 0, like /proc) is still bounded.
    let buffer = Buffer.alloc(Math.min(limit + 1, Math.max(size + 1, 4096)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length > limit) break;
        buffer = Buffer.concat([buffer, Buffer.alloc(Math.min(buffer.length, limit + 1 - buffer.length))]);
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) throw new CodedError('file.too_large', `${path} is more than the ${limit} bytes allowed`);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns where mkdir keeps answering ENOENT under a
 * parent that exists (/proc, some FUSE mounts): here each level is tried once, and that ENOENT is thrown.
 */
export function makeFolders(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw Object.assign(new Error(`${at} is a file, not a folder`), { code: 'ENOTDIR', path: at });
      break;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT' || dirname(at) === at) throw error;
      missing.unshift(at);
      at = dirname(at);
    }
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode });
    } catch (error) {
      // Made meanwhile by another process: as good as made here.
      if ((error as { code?: unknown }).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
    }
  }
}
