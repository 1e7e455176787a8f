// V8's code cache for the entrypoint's bundle, made at build time with every function compiled, so that a container's
// first start (its /tmp empty, no cache of Node's to find) compiles none of it. Node's own compile cache keeps only
// the functions compiled before the module ran (the top level), and lives in /tmp, which every new container has empty.
// Usage: node scripts/code-cache.ts [BUNDLE]: run it with the Node that runs the bundle (V8 rejects another version's).
import { hash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** The cache file starts with the SHA-256 (hex) of the bundle it was made from: V8 itself only compares lengths. */
export const HASH_LENGTH = 64;

const cacheFileOf = (bundle: string) => bundle.replace(/\.cjs$/, '.cache');

/** Writes the cache of `bundle` (a function expression, as the build wraps it) beside it. */
export function writeCodeCache(bundle: string): void {
  const bytes = readFileSync(bundle);
  // Compiled eagerly, then the flag restored before the cache is made: the cache carries a hash of V8's flags, and
  // the entrypoint runs with the defaults.
  setFlagsFromString('--no-lazy');
  const script = new Script(bytes.toString('utf8'), { filename: bundle });
  setFlagsFromString('--lazy');
  const data = Buffer.concat([Buffer.from(hash('sha256', bytes, 'hex'), 'latin1'), script.createCachedData()]);
  const file = cacheFileOf(bundle);
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

// Run as a program (not imported by the build for its constants); import.meta.main is newer than some Node 24 images.
if (process.argv[1] === import.meta.filename) {
  const bundle = process.argv[2] ?? new URL('../dist/main/docker-entrypoint.cjs', import.meta.url).pathname;
  writeCodeCache(bundle);
}
