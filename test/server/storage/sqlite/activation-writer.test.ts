import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { ActivationWriter } from '../../../../src/server/storage/sqlite/activation-writer.ts';
import { toStoreError, SqliteStore } from '../../../../src/server/storage/sqlite/store.ts';
import type { ActivationRow } from '../../../../src/server/storage/store.ts';
import { tempDir } from '../../../helpers/server.ts';

const row = (id: string): ActivationRow => ({ id, workspace_id: 'ws-a', subject: 'ci-1', at: '2026-01-05T00:00:00.000Z', ci: 1, ci_provider: 'x', version: '1', machine_id: null });

/** A database with the schema and one workspace, made by the real store. */
async function database(): Promise<string> {
  const dir = tempDir('pa-writer-');
  const store = SqliteStore.open(dir);
  await store.write(async (tx) => tx.upsertWorkspace('ws-a', 'A', '2026-01-01T00:00:00.000Z'));
  await store.close();
  return join(dir, 'license.db');
}

const count = (path: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM activations').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

test('batches sent together are committed on the thread, each write resolving once its rows are in the file', async () => {
  const path = await database();
  const writer = new ActivationWriter(path, 1_000);
  await Promise.all([writer.write([row('a1'), row('a2')]), writer.write([row('a3')])]);
  assert.equal(count(path), 3, 'another connection sees every row once write() resolved');
  await writer.close();
  await assert.rejects(writer.write([row('a4')]), { code: 'store.unavailable' });
});

test('a write lock held by another program past the budget fails the batch as store.busy, and the next write succeeds', async () => {
  const path = await database();
  const writer = new ActivationWriter(path, 200);
  const other = new DatabaseSync(path);
  other.exec('BEGIN IMMEDIATE');
  const error = await writer.write([row('b1')]).then(() => undefined, (e: unknown) => e);
  assert.ok(error, 'the write failed');
  assert.equal((toStoreError(error) as { code?: string }).code, 'store.busy');
  other.exec('ROLLBACK');
  other.close();
  await writer.write([row('b2')]);
  assert.equal(count(path), 1, 'only the batch that was answered is stored');
  await writer.close();
});

test('a row that breaks a constraint fails its whole batch and stores none of it', async () => {
  const path = await database();
  const writer = new ActivationWriter(path, 1_000);
  await writer.write([row('c1')]);
  await assert.rejects(writer.write([row('c2'), row('c1')]), /UNIQUE/);
  assert.equal(count(path), 1);
  await writer.close();
});

test('a first open that fails (the file locked by another program) is tried again: later writes commit once the lock is gone', async () => {
  const path = await database();
  const other = new DatabaseSync(path);
  // An exclusive lock in WAL mode stops even the thread's first read of the schema (its statement cannot be prepared).
  other.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO settings (key, value) VALUES (\'held\', \'1\');');
  const writer = new ActivationWriter(path, 100);
  const first = await writer.write([row('d1')]).then(() => undefined, (e: unknown) => e);
  assert.equal((toStoreError(first) as { code?: string }).code, 'store.busy', 'the locked open is answered as busy');
  other.exec('COMMIT');
  other.close();
  await writer.write([row('d2')]);
  assert.equal(count(path), 1, 'the write after the lock was released is stored');
  await writer.close();
});

test('the thread killed while batches are in flight: they fail as store.io, every write that resolved is stored, and later writes start a new thread', async () => {
  const path = await database();
  const writer = new ActivationWriter(path, 1_000);
  await writer.write([row('warm')]);
  const outcomes = Array.from({ length: 50 }, (_, i) => writer.write([row(`k${i}`)]).then(() => `k${i}`, (e: unknown) => e));
  await (writer as unknown as { worker: { terminate: () => Promise<number> } }).worker.terminate();
  const settled = await Promise.all(outcomes);
  const failed = settled.filter((o) => typeof o !== 'string');
  for (const e of failed) assert.equal((toStoreError(e) as { code?: string }).code, 'store.io');
  await writer.write([row('after')]);
  await writer.close();
  const db = new DatabaseSync(path, { readOnly: true });
  const stored = new Set((db.prepare('SELECT id FROM activations').all() as { id: string }[]).map((r) => r.id));
  db.close();
  assert.deepEqual(settled.filter((o): o is string => typeof o === 'string' && !stored.has(o)), [], 'every resolved write is stored');
  assert.ok(stored.has('after'), 'the write after the crash is stored by a new thread');
});

test('many activations then close() at once: every one that resolved is stored, and close waits for them', async () => {
  const dir = tempDir('pa-writer-');
  const store = SqliteStore.open(dir);
  const writes = Array.from({ length: 2_000 }, (_, i) => store.recordActivation(row(`m${i}`)));
  await store.close();
  const settled = await Promise.allSettled(writes);
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 2_000);
  assert.equal(count(join(dir, 'license.db')), 2_000);
});
