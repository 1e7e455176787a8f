import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, openSync, statSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, mountTmpfs, runServer, startApp, startServer, tempDir } from '../helpers/server.ts';

// Start-up faults, each made for real on the data folder: one clear line, a non-zero exit, nothing overwritten.

/** A data folder as a stopped server leaves it: accounts, a signing key, license.db checkpointed. */
async function dataFolder(dir = join(tempDir(), 'data')): Promise<string> {
  const app = await startApp({ dataDir: dir, seed: fixture().seed });
  await app.close();
  return dir;
}

/** Every file of the folder with its hash: "nothing overwritten" is checked against this (SQLite's -shm index and an empty WAL hold no data). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.endsWith('-shm')) continue;
    const content = readFileSync(join(e.parentPath, e.name));
    if (e.name.endsWith('-wal') && content.length === 0) continue;
    out[join(e.parentPath, e.name)] = createHash('sha256').update(content).digest('hex');
  }
  return out;
}

function assertOneLine(run: { status: number | null; stderr: string }, status: number, pattern: RegExp): void {
  assert.equal(run.status, status, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, not:\n${run.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/, 'no stack trace');
}

test('a key file without its private part: refused, exit 65, nothing rewritten', async () => {
  const dir = await dataFolder();
  const path = join(dir, 'signing-keys.json');
  const file = JSON.parse(readFileSync(path, 'utf8'));
  delete file.current.d;
  writeFileSync(path, JSON.stringify(file));
  const before = snapshot(dir);
  assertOneLine(runServer(['--data-dir', dir]), 65, /signing-keys\.json has no private key.*restore it from backup/);
  assert.deepEqual(snapshot(dir), before);
});

test('a private key that does not match its public key: refused, exit 65, nothing rewritten', async () => {
  const dir = await dataFolder();
  const path = join(dir, 'signing-keys.json');
  const file = JSON.parse(readFileSync(path, 'utf8'));
  // Another key's private half under the published kid and x: it would sign, and nothing would verify.
  file.current.d = (generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { d: string }).d;
  writeFileSync(path, JSON.stringify(file));
  const before = snapshot(dir);
  assertOneLine(runServer(['--data-dir', dir]), 65, /signing-keys\.json holds a private key \("d"\) that does not match its public key.*restore it from backup/);
  assert.deepEqual(snapshot(dir), before);
});

test('a key file missing while the database holds accounts: refused, no new key generated', async () => {
  const dir = await dataFolder();
  rmSync(join(dir, 'signing-keys.json'));
  const before = snapshot(dir);
  assertOneLine(runServer(['--data-dir', dir]), 65, /signing-keys\.json is missing but the database holds accounts/);
  assert.equal(existsSync(join(dir, 'signing-keys.json')), false);
  assert.deepEqual(snapshot(dir), before);
});

test('a corrupt database header: one line, exit 65, the file left as it was', async () => {
  const dir = await dataFolder();
  const fd = openSync(join(dir, 'license.db'), 'r+');
  writeSync(fd, Buffer.from('this is no sqlite'), 0, 16, 0);
  closeSync(fd);
  const before = snapshot(dir);
  assertOneLine(runServer(['--data-dir', dir]), 65, /not a SQLite database or its header is damaged.*restore license\.db from a backup/);
  assert.deepEqual(snapshot(dir), before);
});

test('damaged pages are found at start (quick_check), not by a 500 later', async () => {
  const dir = await dataFolder();
  const path = join(dir, 'license.db');
  const size = readFileSync(path).length;
  assert.ok(size >= 4 * 4096, `the database has pages to damage (${size} bytes)`);
  // The last page holds table rows or an index: garbage there breaks the b-tree but not the header or the schema.
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, size - 4096);
  closeSync(fd);
  const before = snapshot(dir);
  assertOneLine(runServer(['--data-dir', dir]), 65, /the database is damaged/);
  assert.deepEqual(snapshot(dir), before);
});

test('a read-only data folder, with and without --seed: one line that says so, never blaming the key file', async (t) => {
  const fs = mountTmpfs(t);
  if (!fs) return;
  try {
    const dir = await dataFolder(join(fs.dir, 'data'));
    const seedFile = join(tempDir(), 'seed.json');
    writeFileSync(seedFile, JSON.stringify(fixture().seed));
    fs.readOnly();
    const before = snapshot(dir);
    for (const args of [['--data-dir', dir], ['--data-dir', dir, '--seed', seedFile]]) {
      const run = runServer(args);
      assertOneLine(run, 73, /read-only/);
      assert.doesNotMatch(run.stderr, /signing key/);
    }
    assert.deepEqual(snapshot(dir), before);
  } finally {
    fs.unmount();
  }
});

test('a new --data-dir on a read-only file system, or under a file: one line, exit 73, nothing created', async (t) => {
  const fs = mountTmpfs(t);
  if (!fs) return;
  try {
    fs.readOnly();
    for (const dir of [join(fs.dir, 'new'), join(fs.dir, 'a', 'b')]) {
      assertOneLine(runServer(['--data-dir', dir]), 73, /the data folder .* is on a read-only file system; give the server a writable --data-dir/);
      assert.equal(existsSync(dir), false);
    }
  } finally {
    fs.unmount();
  }
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'x');
  assertOneLine(runServer(['--data-dir', join(file, 'data')]), 73, /a-file\/data cannot be created or used \(ENOTDIR\); give the server a writable --data-dir/);
});

test('a signing key file that group or others may read: a warning at start that names it and chmod 600', async () => {
  const dir = await dataFolder();
  const path = join(dir, 'signing-keys.json');
  chmodSync(path, 0o644);
  const server = await startServer({ dataDir: dir });
  try {
    const warning = server.output().split('\n').filter((l) => l.includes('warning'));
    assert.deepEqual(warning, [`license-server: warning: ${path} holds the private signing key but its mode is 0644 (group or others may read it); run chmod 600 ${path}`]);
    assert.equal(statSync(path).mode & 0o777, 0o644, 'a warning, the file is left as the operator set it');
  } finally {
    await server.stop();
  }
  chmodSync(path, 0o600);
  const quiet = await startServer({ dataDir: dir });
  await quiet.stop();
  assert.doesNotMatch(quiet.output(), /warning/);
});

test('a full disk: one line that says so, never blaming the key file, nothing lost', async (t) => {
  const fs = mountTmpfs(t);
  if (!fs) return;
  try {
    const dir = await dataFolder(join(fs.dir, 'data'));
    const before = snapshot(dir);
    const free = fs.fill();
    const run = runServer(['--data-dir', dir]);
    assertOneLine(run, 73, /full.*free space/);
    assert.doesNotMatch(run.stderr, /signing key/);
    assert.deepEqual(snapshot(dir), before);
    free();
    const empty = join(fs.dir, 'fresh');
    fs.fill();
    assertOneLine(runServer(['--data-dir', empty]), 73, /full/);
  } finally {
    fs.unmount();
  }
});

test('a data folder under /proc (mkdir answers ENOENT under a parent that exists): one line and an exit, never a spin', () => {
  const run = runServer(['--data-dir', '/proc/nodata/deeper']);
  assert.notEqual(run.status, null, 'it ended by itself');
  assert.notEqual(run.status, 0);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /the data folder \/proc\/nodata\/deeper cannot be created or used \(ENOENT\)/);
});
