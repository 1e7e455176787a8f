import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeFolders, readBounded, removeStaleTemps, writeAtomic } from '../../src/core/files.ts';
import { tempDir } from '../helpers/server.ts';

test('writeAtomic: mode 0600 from creation, nothing left behind', () => {
  const dir = tempDir();
  const path = join(dir, 'license.json');
  writeAtomic(path, 'one');
  writeAtomic(path, 'two');
  assert.equal(readBounded(path, 10), 'two');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['license.json']);
});

test('readBounded: a file over the limit is refused with a code, a sparse 600 MB one without reading it', () => {
  const dir = tempDir();
  const small = join(dir, 'small');
  writeFileSync(small, 'x'.repeat(100));
  assert.equal(readBounded(small, 100).length, 100);
  assert.throws(() => readBounded(small, 99), { code: 'file.too_large' });
  const huge = join(dir, 'huge');
  const fd = openSync(huge, 'w');
  ftruncateSync(fd, 600 * 1024 * 1024);
  closeSync(fd);
  assert.throws(() => readBounded(huge, 1024 * 1024), { code: 'file.too_large' });
  assert.throws(() => readBounded(join(dir, 'none'), 10), { code: 'ENOENT' });
  assert.equal(readBounded('/proc/self/status', 1024 * 1024).includes('Pid:'), true, 'a size-0 /proc file is read, bounded');
});

test('removeStaleTemps: an old temp of a killed writer goes, a fresh one (a writer in flight) and other files stay', () => {
  const dir = tempDir();
  const path = join(dir, 'license.json');
  const old = join(dir, 'license.json.4242.deadbeef.tmp');
  const fresh = join(dir, 'license.json.4243.cafebabe.tmp');
  const other = join(dir, 'notes.tmp');
  for (const f of [path, old, fresh, other]) writeFileSync(f, 'x');
  const past = new Date(Date.now() - 120_000);
  utimesSync(old, past, past);
  utimesSync(other, past, past);
  assert.deepEqual(removeStaleTemps(path, 60_000), ['license.json.4242.deadbeef.tmp']);
  assert.ok(!existsSync(old) && existsSync(fresh) && existsSync(other) && existsSync(path));
});

test('makeFolders makes each missing level, takes one made meanwhile, and gives up at once where mkdir answers ENOENT under a parent that exists', () => {
  const base = tempDir('pa-folders-');
  makeFolders(join(base, 'a', 'b', 'c'), 0o700);
  assert.ok(statSync(join(base, 'a', 'b', 'c')).isDirectory());
  assert.equal(statSync(join(base, 'a')).mode & 0o777, 0o700);
  makeFolders(join(base, 'a', 'b', 'c'));
  writeFileSync(join(base, 'file'), 'x');
  assert.throws(() => makeFolders(join(base, 'file', 'sub')), { code: 'ENOTDIR' });
  // /proc answers ENOENT to every mkdir: Node's recursive mkdir never returned here.
  assert.throws(() => makeFolders('/proc/nocache/deeper'), { code: 'ENOENT' });
});
