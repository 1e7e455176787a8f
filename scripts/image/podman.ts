// Podman as the image tests and the base-image builder run it: the project's containers.conf, never /etc.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CONTAINERS_CONF = fileURLToPath(new URL('../../containers/containers.conf', import.meta.url));
/** The exact name `FROM node:24-bookworm-slim` resolves to. */
export const BASE_IMAGE = 'docker.io/library/node:24-bookworm-slim';
export const BASE_LABEL = 'dev.pro-activation.base-recipe';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** Where the host keeps CA certificates it trusts beyond Debian's (a TLS-intercepting proxy's). */
export const EXTRA_CA_DIR = '/usr/local/share/ca-certificates';
export const IN_IMAGE_CA = '/usr/local/share/ca-certificates/host-extra-ca.crt';

/** The environment every podman call gets. */
export function podmanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, CONTAINERS_CONF };
}

export function podman(args: string[], options: { input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync('podman', args, { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeout ?? 300_000, input: options.input });
}
