import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HASH_LENGTH } from '../scripts/code-cache.ts';
import { tempDir } from './helpers/cleanup.ts';
import { ROOT } from './helpers/paths.ts';

// The machine's own Node (Debian's, older than the pinned one) is what a user in a fresh clone meets first.
const OLD_NODE = '/usr/bin/node';

test('every program run by a Node older than 24 says in one line what it needs, and exits non-zero', () => {
  const version = spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(Number(/^v(\d+)/.exec(version)?.[1]) < 24, `${OLD_NODE} is expected to be an older Node here (it is ${version || 'missing'})`);
  for (const [program, code] of [['license-server', 1], ['localstack', 1], ['pro-emulator', 1], ['docker-entrypoint', 64]] as const) {
    const r = spawnSync(OLD_NODE, [join(ROOT, 'dist', `${program}.js`), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, code, program);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `${program}: Node.js 24 or newer is needed; this is Node.js ${version}. In a clone, run it as npx ${program} after npm ci (which installs Node 24); elsewhere install Node.js 24.\n`);
  }
});

// The entrypoint's launcher compiles its bundle with the code cache made at build time (scripts/code-cache.ts).
// V8's --profile-deserialization names each cache it reads by its size (on stdout): the bundle's is the one that size.
const DIST = join(ROOT, 'dist');
const deserialized = (stdout: string, bytes: number) => new RegExp(`\\[Deserializing from ${bytes} bytes took`).test(stdout);

/** The entrypoint's launcher and bundle copied to a folder of their own, to be changed there. */
function entrypointCopy(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'main'));
  copyFileSync(join(DIST, 'docker-entrypoint.js'), join(dir, 'docker-entrypoint.js'));
  for (const f of ['docker-entrypoint.cjs', 'docker-entrypoint.cache']) copyFileSync(join(DIST, 'main', f), join(dir, 'main', f));
  return dir;
}

/** No command: the entrypoint's usage line and exit 64, with no license server needed. */
const usage = (launcher: string) => spawnSync(process.execPath, ['--profile-deserialization', launcher], { encoding: 'utf8' });

test("the entrypoint's launcher compiles its bundle from the code cache built beside it, not at every start", () => {
  const cacheBytes = statSync(join(DIST, 'main', 'docker-entrypoint.cache')).size - HASH_LENGTH;
  const r = usage(join(DIST, 'docker-entrypoint.js'));
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /no command given/);
  assert.ok(deserialized(r.stdout, cacheBytes), `V8 read the ${cacheBytes}-byte cache:\n${r.stdout}`);
});

test("a bundle changed after the build runs as changed: its old code cache (which V8 would take, the length being the same) is not used", () => {
  const dir = entrypointCopy();
  const bundle = join(dir, 'main', 'docker-entrypoint.cjs');
  const source = readFileSync(bundle, 'utf8');
  assert.ok(source.includes('no command given'));
  writeFileSync(bundle, source.replace('no command given', 'NO COMMAND GIVEN'));
  const r = usage(join(dir, 'docker-entrypoint.js'));
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /NO COMMAND GIVEN/);
  assert.ok(!deserialized(r.stdout, statSync(join(dir, 'main', 'docker-entrypoint.cache')).size - HASH_LENGTH), 'the stale cache was not read');
});

test('without its code cache, or with one V8 rejects, the entrypoint starts all the same', () => {
  const dir = entrypointCopy();
  const cache = join(dir, 'main', 'docker-entrypoint.cache');
  const valid = readFileSync(cache);
  // The right source hash, then bytes that are no V8 cache: V8 rejects them and compiles the bundle itself.
  writeFileSync(cache, Buffer.concat([valid.subarray(0, HASH_LENGTH), Buffer.alloc(4096, 0x5a)]));
  for (const state of ['rejected', 'missing']) {
    if (state === 'missing') rmSync(cache);
    const r = usage(join(dir, 'docker-entrypoint.js'));
    assert.equal(r.status, 64, `${state}: ${r.stderr}`);
    assert.match(r.stderr, /no command given/, state);
    assert.doesNotMatch(r.stderr, /Error|internal/i, state);
  }
});
