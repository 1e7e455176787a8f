import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_DEFAULTS } from './constants.ts';
import { CliError } from './errors.ts';

/**
 * Creates the volume folder and its cache/ before docker does (docker would create them root-owned, and the
 * image's non-root user could then not write the license). As root: owned by the image's user, 0700.
 * Otherwise the host user cannot chown: world-writable with the sticky bit, so the container user can write.
 */
export function prepareVolume(dir: string, isRoot: boolean): void {
  const cache = join(dir, 'cache');
  try {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    for (const path of [dir, cache]) {
      if (isRoot) {
        chownSync(path, CLI_DEFAULTS.imageUid, CLI_DEFAULTS.imageUid);
        chmodSync(path, 0o700);
      } else {
        chmodSync(path, 0o1777);
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError('start.volume', `cannot prepare ${dir} for the container's user (uid ${CLI_DEFAULTS.imageUid}): ${code}. Fix it with: sudo chown -R ${CLI_DEFAULTS.imageUid} ${dir}  (or set LOCALSTACK_VOLUME_DIR to another folder)`, { cause: error });
  }
}
