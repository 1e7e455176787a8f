import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PostgresStore } from '../../../src/server/storage/postgres/store.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../../src/server/storage/store.ts';
import { sharedDatabase } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/server.ts';

const stores: Store[] = [];
after(async () => { await Promise.all(stores.map((s) => s.close())); });

const open = {
  sqlite: () => SqliteStore.open(tempDir('pa-sql-')),
  postgres: async () => PostgresStore.open(await sharedDatabase(tempDir('pa-sql-pg-'))),
};

for (const [engine, opener] of Object.entries(open)) {
  test(`${engine}: one portable statement text reads and writes alike, in and out of a transaction`, async () => {
    const store = await opener();
    stores.push(store);
    const upsert = 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
    const changed = await store.write(async (tx) => [await tx.sql.run(upsert, 'a.one', 'x'), await tx.sql.run(upsert, 'a.two', 'y'), await tx.sql.run(upsert, 'a.one', 'z')]);
    assert.deepEqual(changed, [1, 1, 1]);
    // Rows compared as plain objects: node:sqlite's have no prototype.
    assert.deepEqual({ ...await store.sql.get<object>("SELECT value FROM settings WHERE key = ?", 'a.one') }, { value: 'z' });
    assert.deepEqual((await store.sql.all('SELECT key, value FROM settings WHERE key IN (?, ?) ORDER BY key', 'a.one', 'a.two')).map((r) => ({ ...r as object })), [{ key: 'a.one', value: 'z' }, { key: 'a.two', value: 'y' }]);
    // A count is a number on both engines (PostgreSQL's count is a bigint, which the driver gives as text).
    assert.deepEqual({ ...await store.sql.get<object>("SELECT CAST(count(*) AS INTEGER) AS n FROM settings WHERE key LIKE 'a.%'") }, { n: 2 });
    assert.equal(await store.sql.get('SELECT value FROM settings WHERE key = ?', 'missing'), undefined);
    // A transaction that throws leaves nothing of its writes.
    await assert.rejects(store.write(async (tx) => { await tx.sql.run(upsert, 'a.three', 'w'); throw new Error('boom'); }), /boom/);
    assert.equal(await store.sql.get('SELECT value FROM settings WHERE key = ?', 'a.three'), undefined);
  });
}
