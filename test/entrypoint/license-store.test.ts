import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { verifyLicense, type VerifiedLicense } from '../../src/core/license.ts';
import { storeLicense, storeLicenseAt, type StoreContext } from '../../src/entrypoint/license-store.ts';
import { cacheDir, cacheWith, nowS } from '../helpers/entrypoint.ts';
import { claimsFor, forge, testKey } from '../helpers/keys.ts';
import { ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/server.ts';
import { isRoot, unlessAble } from '../helpers/capabilities.ts';

// The store against real faults on a real file system. A stall would show as the test's timeout
// (the lock library's retries used to take ~20 s); nothing here measures speed.
const token = generateToken('developer');
const key = await testKey();
const keys = { keys: [key.jwk] };
const ctx = (credential = token): StoreContext => ({
  endpoint: 'http://test/v1', now: new Date(),
  verify: (jws) => verifyLicense(jws, { keys, credential, now: new Date() }),
  verifyAny: (jws) => verifyLicense(jws, { keys, now: new Date() }),
});
const license = async (iat = nowS() - 5): Promise<VerifiedLicense> => verifyLicense(await forge(key, claimsFor(token, iat)), { keys, credential: token });
const FAST = { timeout: 8_000 };

function mountTmpfs(dir: string, options: string): () => void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

describe('writes that cannot happen fall back at once to a private temporary file', () => {
  test('a regular file named license.json.lock', FAST, async () => {
    const dir = cacheDir();
    writeFileSync(join(dir, 'license.json.lock'), 'not a lock');
    const saved = await storeLicense(dir, await license(), ctx());
    assert.ok(saved.ok);
    assert.notEqual(saved.path, join(dir, 'license.json'));
    assert.match(saved.warning!, /cannot write the license cache in .* \(ENOTDIR: /);
    assert.equal(JSON.parse(readFileSync(saved.path, 'utf8')).license, saved.license.jws);
  });

  test('a read-only file system (EROFS)', { ...FAST, skip: unlessAble(isRoot, 'root (mount)') }, async () => {
    const dir = cacheDir();
    const umount = mountTmpfs(dir, 'ro,size=1m');
    try {
      const saved = await storeLicense(dir, await license(), ctx());
      assert.ok(saved.ok);
      assert.match(saved.warning!, /\(EROFS: read-only file system\)/);
      assert.ok(!existsSync(join(dir, 'license.json')));
    } finally {
      umount();
    }
  });

  test('a full disk (ENOSPC): the license is kept elsewhere, the old cache file is intact, no temp file is left', { ...FAST, skip: unlessAble(isRoot, 'root (mount)') }, async () => {
    const dir = cacheDir();
    const umount = mountTmpfs(dir, 'size=64k');
    try {
      const old = await license(nowS() - 3600);
      writeFileSync(join(dir, 'license.json'), JSON.stringify({ format: 1, license: old.jws, activatedAt: 'x', endpoint: 'y' }));
      try {
        writeFileSync(join(dir, 'filler'), Buffer.alloc(1024 * 1024));
      } catch {
        // Full: exactly what was wanted.
      }
      const saved = await storeLicense(dir, await license(), ctx());
      assert.ok(saved.ok);
      assert.match(saved.warning!, /\(ENOSPC: no space left\)/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'license.json'), 'utf8')).license, old.jws, 'nothing lost');
      assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      umount();
    }
  });
});

test('a lock held by another live process is waited for, then the cache itself is written', FAST, async () => {
  const dir = cacheDir();
  const path = join(dir, 'license.json');
  // A second real process takes the lock, holds it ~1 s, releases it.
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { default: lockfile } = await import(${JSON.stringify(join(ROOT, 'node_modules/proper-lockfile/index.js'))});
    const release = await lockfile.lock(${JSON.stringify(path)}, { realpath: false, stale: 10000 });
    console.log('locked');
    setTimeout(async () => { await release(); console.log('released'); }, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  holder.stdout.on('data', (d) => (out += d));
  try {
    for (let i = 0; i < 500 && !out.includes('locked'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(out.includes('locked'), 'the other process holds the lock');
    const saved = await storeLicense(dir, await license(), ctx());
    assert.ok(saved.ok);
  assert.equal(saved.path, path, 'waited for the held lock instead of falling back');
    assert.equal(saved.warning, undefined);
    assert.ok(out.includes('released'));
  } finally {
    holder.kill('SIGKILL');
  }
});

test('item 12: a temp file left by a writer killed between write and rename is removed under the lock; a fresh one is not', FAST, async () => {
  const dir = cacheDir();
  const stale = join(dir, 'license.json.999999.0badf00d.tmp');
  const fresh = join(dir, 'license.json.999998.0badf00e.tmp');
  writeFileSync(stale, '{"format":1,"lic');
  writeFileSync(fresh, '{"format":1,"lic');
  const past = new Date(Date.now() - 10 * 60_000);
  utimesSync(stale, past, past);
  const saved = await storeLicense(dir, await license(), ctx());
  assert.ok(saved.ok && saved.path === join(dir, 'license.json'));
  assert.ok(!existsSync(stale), 'the stale temp file is gone');
  assert.ok(existsSync(fresh), 'a writer in flight is not disturbed');
});

test('item 5: only a newer license that verifies is kept; a forged, expired-foreign or garbage file is replaced', FAST, async () => {
  const forger = await testKey();
  const other = generateToken('developer');
  for (const jws of [await forge(forger, claimsFor(token, nowS() + 3650 * 86_400)), await forge(key, claimsFor(other, nowS() - 25 * 3600)), 'garbage']) {
    const dir = cacheWith(jws);
    const mine = await license();
    const saved = await storeLicense(dir, mine, ctx());
    assert.ok(saved.ok && !saved.kept && saved.path === join(dir, 'license.json'));
    assert.equal(JSON.parse(readFileSync(saved.path, 'utf8')).license, mine.jws, 'the cache was repaired');
  }
  const newer = await license(nowS() + 30);
  const dir = cacheWith(newer.jws);
  const saved = await storeLicense(dir, await license(), ctx());
  assert.ok(saved.ok && saved.kept);
  assert.equal(saved.license.jws, newer.jws);
});

test("adversary 1: a still-valid license of another credential is never replaced; this credential's own file is written beside it", FAST, async () => {
  const other = generateToken('developer');
  const theirs = await forge(key, claimsFor(other, nowS() - 60));
  const dir = cacheWith(theirs);
  const mine = await license();
  const saved = await storeLicense(dir, mine, ctx());
  assert.ok(saved.ok && saved.warning === undefined);
  const own = join(dir, `license-${createHash('sha256').update(token).digest('hex').slice(0, 12)}.json`);
  assert.equal(saved.path, own);
  assert.equal(JSON.parse(readFileSync(join(dir, 'license.json'), 'utf8')).license, theirs, "the other credential's file is untouched");
  assert.equal(JSON.parse(readFileSync(own, 'utf8')).license, mine.jws);
  // A refresh aimed at the other credential's file is refused, not written.
  const refused = await storeLicenseAt(join(dir, 'license.json'), await license(), ctx());
  assert.ok(!refused.ok && /another credential/.test(refused.reason.detail));
  assert.equal(JSON.parse(readFileSync(join(dir, 'license.json'), 'utf8')).license, theirs);
});

test('adversary 8: a lock folder dated in the future is taken over as stale, and the warning names it', FAST, async () => {
  const dir = cacheDir();
  const lock = join(dir, 'license.json.lock');
  mkdirSync(lock);
  const future = new Date(Date.now() + 3600_000);
  utimesSync(lock, future, future);
  const saved = await storeLicense(dir, await license(), ctx());
  assert.ok(saved.ok);
  assert.equal(saved.path, join(dir, 'license.json'), 'the cache itself was written');
  assert.match(saved.warning!, new RegExp(`the lock folder ${lock} was dated in the future .*remove ${lock}`));
  assert.ok(!existsSync(lock), 'and released');
});

test('adversary 10: a cache folder that is a regular file is named as such (not EEXIST)', FAST, async () => {
  const file = join(tempDir(), 'cache');
  writeFileSync(file, 'not a folder');
  const saved = await storeLicense(file, await license(), ctx());
  assert.ok(saved.ok);
  assert.match(saved.warning!, /\(ENOTDIR: a file stands where a folder should be\)/);
  assert.equal(readFileSync(file, 'utf8'), 'not a folder');
});

test('adversary 10: a missing cache folder under a read-only mount is EROFS (not ENOENT)', { ...FAST, skip: unlessAble(isRoot, 'root (mount)') }, async () => {
  const dir = cacheDir();
  const umount = mountTmpfs(dir, 'ro,size=1m');
  try {
    const saved = await storeLicense(join(dir, 'deeper', 'cache'), await license(), ctx());
    assert.ok(saved.ok);
    assert.match(saved.warning!, /\(EROFS: read-only file system\)/);
  } finally {
    umount();
  }
});

test('storeLicenseAt writes exactly the path it is given, or says why not (never elsewhere)', FAST, async () => {
  const dir = tempDir();
  const path = join(dir, 'named.json');
  const saved = await storeLicenseAt(path, await license(), ctx());
  assert.ok(saved.ok && saved.path === path);
  mkdirSync(join(dir, 'blocked'));
  writeFileSync(join(dir, 'blocked', 'license.json.lock'), 'x');
  const refused = await storeLicenseAt(join(dir, 'blocked', 'license.json'), await license(), ctx());
  assert.ok(!refused.ok);
  assert.equal(refused.reason.code, 'cache.unwritable');
  assert.ok(!existsSync(join(dir, 'blocked', 'license.json')));
});
