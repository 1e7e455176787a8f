import { chmodSync, chownSync } from 'node:fs';
import { makeFolders } from '../core/files.ts';
import { join } from 'node:path';
import { CLI_DEFAULTS } from './constants.ts';
import { CliError } from './errors.ts';

/** Who the container runs as: the image's user when the CLI runs as root, else the host user (`--user UID:GID`). */
export interface VolumeOwner {
  uid: number;
  gid: number;
}

/** Root hands the volume to the image's user; anyone else runs the container as themselves and keeps the volume. */
export function volumeOwner(hostUid: number | undefined, hostGid: number | undefined): { owner: VolumeOwner; dockerUser?: string } {
  if (hostUid === undefined || hostUid === 0) return { owner: { uid: CLI_DEFAULTS.imageUid, gid: CLI_DEFAULTS.imageUid } };
  const gid = hostGid ?? hostUid;
  return { owner: { uid: hostUid, gid }, dockerUser: `${hostUid}:${gid}` };
}

/**
 * Creates the volume folder and its cache/ before docker does (docker would create them root-owned, and the
 * container's user could then not write the license): owned by that user, 0700.
 */
export function prepareVolume(dir: string, owner: VolumeOwner, isRoot: boolean): void {
  const cache = join(dir, 'cache');
  try {
    makeFolders(cache, 0o700);
    for (const path of [dir, cache]) {
      if (isRoot) chownSync(path, owner.uid, owner.gid);
      chmodSync(path, 0o700);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError('start.volume', `cannot prepare ${dir} for the container's user (uid ${owner.uid}): ${code}. Fix it with: sudo chown -R ${owner.uid}:${owner.gid} ${dir}  (or set LOCALSTACK_VOLUME_DIR to another folder)`, { cause: error });
  }
}
