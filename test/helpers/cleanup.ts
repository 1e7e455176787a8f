// What a test file makes outside itself goes when its process ends: temporary folders (with what was mounted
// on them) and the processes that write into them. One 'exit' hook, so the order is fixed: stop, unmount, remove.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every temporary folder a test makes starts with this, so a leak is easy to count. */
export const TEMP_PREFIX = 'pa-';

const folders: string[] = [];
const stoppers: (() => void)[] = [];
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    // Processes first (servers, PostgreSQL): nothing may write into a folder while it is removed.
    for (const stop of stoppers.splice(0)) {
      try {
        stop();
      } catch {
        // Already gone: the folders still go.
      }
    }
    removeFolders(folders.splice(0));
  });
}

/** Runs `stop` (synchronously) when the process ends, before the temporary folders are removed. */
export function atExit(stop: () => void): void {
  hook();
  stoppers.push(stop);
}

/** A fresh folder in the system's temporary folder, removed when this process ends. */
export function tempDir(prefix = `${TEMP_PREFIX}test-`): string {
  return removeAtExit(mkdtempSync(join(tmpdir(), prefix)));
}

/** Removes `dir` when this process ends (for a folder made some other way). */
export function removeAtExit(dir: string): string {
  hook();
  folders.push(dir);
  return dir;
}

/** The mount points of this mount namespace (/proc/self/mountinfo's fifth field, octal escapes decoded); undefined when unknown. */
export function mountPoints(): string[] | undefined {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
      .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  } catch {
    return undefined;
  }
}

const inside = (dir: string) => (path: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * Unmounts whatever is mounted in each folder (a fault test's tmpfs, a bind mount), deepest first, then removes
 * it. A folder that still has a mount in it is left alone: removing it would reach into the mounted file system.
 */
export function removeFolders(dirs: string[]): void {
  if (dirs.length === 0) return;
  let mounts = mountPoints();
  const real = dirs.map((d) => { try { return realpathSync(d); } catch { return d; } });
  const mounted = mounts?.filter((m) => [...dirs, ...real].some((d) => inside(d)(m))) ?? [];
  if (mounted.length > 0) {
    for (const m of [...new Set(mounted)].sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    mounts = mountPoints();
  }
  for (const dir of dirs) {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      continue; // Gone already (a test removed it).
    }
    const still = mounts === undefined ? ['(the mount table cannot be read)'] : mounts.filter((m) => inside(dir)(m) || inside(real)(m));
    if (still.length > 0) {
      process.stderr.write(`test cleanup: left ${dir}: ${still[0]} is still mounted in it\n`);
      continue;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A folder a test made read-only (not root): make it ours to empty, then try once more (chmod -R follows no symlink).
      spawnSync('chmod', ['-R', 'u+rwX', dir], { stdio: 'ignore' });
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        process.stderr.write(`test cleanup: cannot remove ${dir}: ${(error as Error).message}\n`);
      }
    }
  }
}
