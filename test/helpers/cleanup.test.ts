import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { has, isRoot, unlessAble } from './capabilities.ts';
import { mountPoints, tempDir } from './cleanup.ts';
import { ROOT } from './paths.ts';

// Test runs must not fill /tmp: every run used to leave hundreds of pa-* folders behind (and tmpfs mounts).
// Each check runs with its own TMPDIR, so what is left there is this check's alone (other suites run alongside).

/** A private stand-in for /tmp: sticky and world-writable like it, as processes run as other users need. */
function privateTmp(): string {
  const dir = tempDir('pa-leakcheck-');
  chmodSync(dir, 0o1777);
  return dir;
}

/** The environment of a nested run: no node:test context of ours (it would report to this runner), TMPDIR private. */
function nestedEnv(tmp: string): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return { ...env, TMPDIR: tmp };
}

const mountsUnder = (dir: string) => (mountPoints() ?? []).filter((m) => m === dir || m.startsWith(`${dir}/`));

test('test files that start servers, PostgreSQL (as the postgres user), tmpfs mounts and entrypoints leave nothing in TMPDIR', { timeout: 120_000 }, () => {
  const tmp = privateTmp();
  const files = ['test/cli/localstack.test.ts', 'test/entrypoint/license-store.test.ts', 'test/server/signing/shared-keys.test.ts'];
  const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: ROOT, env: nestedEnv(tmp), encoding: 'utf8', timeout: 110_000 });
  assert.equal(r.status, 0, `the nested run failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^ℹ pass [1-9]/m, 'the files ran');
  assert.deepEqual(readdirSync(tmp), [], 'every temporary folder was removed');
  assert.deepEqual(mountsUnder(tmp), [], 'nothing is left mounted');
});

test('at exit: a tmpfs on the folder and nested mounts are unmounted first, a bind-mounted host folder is never emptied, folders of other users and read-only ones go', { skip: unlessAble(isRoot && has('mount', '--version'), 'root (mount)') }, () => {
  const tmp = privateTmp();
  const host = join(tempDir('pa-host-'), 'data');
  mkdirSync(host);
  writeFileSync(join(host, 'precious'), 'keep me');
  const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const otherUid = ids.status === 0 ? Number(ids.stdout) : 65534;
  const script = join(tempDir('pa-script-'), 'child.mjs');
  writeFileSync(script, `
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tempDir } from ${JSON.stringify(pathToFileURL(join(ROOT, 'test/helpers/cleanup.ts')).href)};
const [host, uid] = process.argv.slice(2);
const tmpfs = (dir) => execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
const plain = tempDir('pa-plain-');
mkdirSync(plain + '/a/b', { recursive: true });
writeFileSync(plain + '/a/b/f', 'x');
const onIt = tempDir('pa-tmpfs-');
tmpfs(onIt);
writeFileSync(onIt + '/filler', Buffer.alloc(1024 * 1024, 1));
const nested = tempDir('pa-nested-');
mkdirSync(nested + '/m');
tmpfs(nested + '/m');
mkdirSync(nested + '/m/inner');
tmpfs(nested + '/m/inner');
execFileSync('mount', ['-o', 'remount,ro', nested + '/m/inner']);
const bound = tempDir('pa-bind-');
mkdirSync(bound + '/host');
execFileSync('mount', ['--bind', host, bound + '/host']);
const owned = tempDir('pa-pg-');
mkdirSync(owned + '/data', { mode: 0o700 });
writeFileSync(owned + '/data/PG_VERSION', '17');
chownSync(owned + '/data/PG_VERSION', Number(uid), Number(uid));
chownSync(owned + '/data', Number(uid), Number(uid));
chownSync(owned, Number(uid), Number(uid));
const locked = tempDir('pa-ro-');
mkdirSync(locked + '/in');
writeFileSync(locked + '/in/f', 'x');
chmodSync(locked + '/in', 0o500);
process.stdout.write('made\\n');
`);
  const r = spawnSync(process.execPath, [script, host, String(otherUid)], { env: nestedEnv(tmp), encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'made\n');
  assert.equal(r.stderr, '', 'no folder was left');
  assert.deepEqual(mountsUnder(tmp), [], 'every mount was undone');
  assert.deepEqual(readdirSync(tmp), [], 'every folder was removed');
  assert.equal(readFileSync(join(host, 'precious'), 'utf8'), 'keep me', 'the bind-mounted host folder was unmounted, not emptied');
  assert.ok(existsSync(host));
});
