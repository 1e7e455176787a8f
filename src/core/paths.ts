import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package's root folder, found upwards from this file: the same from src/ and from dist/chunks/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (root = dir);
}

/** The public keys the entrypoint and the demo product trust unless LICENSE_TRUSTED_KEYS says otherwise. */
export function defaultTrustedKeysPath(): string {
  return join(packageRoot(), 'keys', 'trusted-keys.json');
}
