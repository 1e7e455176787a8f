import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/server/storage/migrations.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import { runServer, tempDir } from '../../helpers/server.ts';

const versions = (path: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
  } finally {
    db.close();
  }
};

test('SQLite: a new database gets every migration once, a second open applies nothing', async () => {
  const dir = tempDir();
  await SqliteStore.open(dir).close();
  await SqliteStore.open(dir).close();
  assert.deepEqual(versions(join(dir, 'license.db')), MIGRATIONS.map((m) => m.version));
});

test('SQLite: a database made before migrations were recorded keeps its rows and is brought up to date', async () => {
  const dir = tempDir();
  const old = new DatabaseSync(join(dir, 'license.db'));
  old.exec(MIGRATIONS[0].sqlite);
  old.exec("INSERT INTO workspaces (id, name, created_at) VALUES ('ws-old', 'Old', '2025-01-01T00:00:00.000Z')");
  old.close();
  const store = SqliteStore.open(dir);
  try {
    assert.equal((await store.workspace('ws-old'))?.name, 'Old');
  } finally {
    await store.close();
  }
  assert.deepEqual(versions(join(dir, 'license.db')), MIGRATIONS.map((m) => m.version));
});

test('a database migrated by a newer server is refused at start, one line, nothing written', async () => {
  const dir = tempDir();
  await SqliteStore.open(dir).close();
  const db = new DatabaseSync(join(dir, 'license.db'));
  db.exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'from the future', '2030-01-01')`);
  db.close();
  const run = runServer(['--data-dir', dir]);
  assert.equal(run.status, 65, run.stderr);
  assert.match(run.stderr, new RegExp(`schema is version ${SCHEMA_VERSION + 1}, newer than this server's ${SCHEMA_VERSION}`));
  assert.equal(run.stderr.trim().split('\n').length, 1);
});
