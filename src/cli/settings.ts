import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

export function configDir(env: Env): string {
  return env.LOCALSTACK_CONFIG_DIR || join(env.HOME || homedir(), '.localstack');
}

/** Host folder mounted at /var/lib/localstack; the container's license cache lands in its cache/ folder. */
export function volumeDir(env: Env): string {
  return env.LOCALSTACK_VOLUME_DIR || join(env.HOME || homedir(), '.cache', 'localstack', 'volume');
}

/** The container's license cache as the host sees it: the volume's cache/ folder. */
export function cacheDir(env: Env): string {
  return join(volumeDir(env), 'cache');
}
