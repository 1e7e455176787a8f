import { chmodSync, copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.ts';
import { tempDir } from './server.ts';

let copy: { node: string; entrypoint: string; cli: string; path: string; cwd: string } | undefined;

/**
 * What a test runs as another user (nobody, a host uid): the built programs and Node itself, copied once to a folder
 * anyone can read. A clone in a folder only its owner can enter (mktemp -d) is out of that user's reach.
 */
export function runnableByAnyone(): { node: string; entrypoint: string; cli: string; path: string; cwd: string } {
  if (copy) return copy;
  const root = tempDir('pa-anyone-');
  chmodSync(root, 0o755);
  for (const part of ['dist', 'entrypoint', 'keys']) cpSync(join(ROOT, part), join(root, part), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(process.execPath, join(root, 'bin', 'node'));
  chmodSync(join(root, 'bin', 'node'), 0o755);
  // PATH and working folder for that user (what it starts inherits both): this Node first (scripts start with `env node`), then the system's, none of the checkout's.
  return (copy = { node: join(root, 'bin', 'node'), entrypoint: join(root, 'entrypoint', 'docker-entrypoint'), cli: join(root, 'dist', 'localstack.js'), path: `${join(root, 'bin')}:/usr/local/bin:/usr/bin:/bin`, cwd: root });
}
