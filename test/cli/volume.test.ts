import assert from 'node:assert/strict';
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareVolume, volumeOwner } from '../../src/cli/volume.ts';
import { CliError } from '../../src/cli/errors.ts';
import { tempDir } from '../helpers/server.ts';

const needsRoot = process.getuid?.() !== 0 && !process.env.CI ? 'needs root to chown' : false;

test('root hands the volume to the image user (10001) and runs the image as it; anyone else runs the container as themselves', () => {
  assert.deepEqual(volumeOwner(0, 0), { owner: { uid: 10001, gid: 10001 } });
  assert.deepEqual(volumeOwner(undefined, undefined), { owner: { uid: 10001, gid: 10001 } }, 'no uid (Windows): the image user');
  assert.deepEqual(volumeOwner(1000, 999), { owner: { uid: 1000, gid: 999 }, dockerUser: '1000:999' });
});

test('without root the volume folder and cache/ stay the host user\'s, 0700 (also a folder left 1777 by an older CLI)', () => {
  const dir = join(tempDir(), 'deep', 'volume');
  mkdirSync(join(dir, 'cache'), { recursive: true, mode: 0o1777 });
  const me = { uid: process.getuid!(), gid: process.getgid!() };
  prepareVolume(dir, me, false);
  for (const path of [dir, join(dir, 'cache')]) {
    const st = statSync(path);
    assert.equal(st.mode & 0o7777, 0o700, path);
    assert.equal(st.uid, me.uid, path);
  }
});

test('as root the folder and cache/ are chowned to the owner given, 0700', { skip: needsRoot }, () => {
  const dir = join(tempDir(), 'volume');
  prepareVolume(dir, { uid: 4321, gid: 4322 }, true);
  for (const path of [dir, join(dir, 'cache')]) {
    const st = statSync(path);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [4321, 4322, 0o700], path);
  }
});

test('a volume folder of another user says how to make it yours, with the uid and gid', { skip: needsRoot }, () => {
  const dir = join(tempDir(), 'volume');
  mkdirSync(dir);
  chownSync(dir, 10001, 10001);
  // Not root: creating cache/ in, or chmod of, a folder of someone else fails as it would for a host user.
  const r = (() => {
    try {
      process.seteuid!(4321);
      prepareVolume(dir, { uid: 4321, gid: 4321 }, false);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      process.seteuid!(0);
    }
  })();
  assert.ok(r instanceof CliError && r.code === 'start.volume', String(r));
  assert.match((r as Error).message, /: (EACCES|EPERM)\. Fix it with: sudo chown -R 4321:4321 .*volume/);
});

test('a volume path that cannot be made says how to fix it, with the uid', () => {
  const file = join(tempDir(), 'not-a-folder');
  writeFileSync(file, '');
  assert.throws(() => prepareVolume(join(file, 'volume'), { uid: 10001, gid: 10001 }, false), (e: unknown) => e instanceof CliError && e.code === 'start.volume' && /ENOTDIR\. Fix it with: sudo chown -R 10001:10001 /.test(e.message));
});
