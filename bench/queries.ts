// What a statement costs through the shared query layer (storage/sql.ts) beside a direct prepared statement and beside
// Kysely, a query builder with a dialect per engine: the measurement behind docs/architecture.md's query decision.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Kysely, PostgresDialect, SqliteDialect, type Generated } from 'kysely';
import pg from 'pg';
import { PostgresStore } from '../src/server/storage/postgres/store.ts';
import { SqliteStore } from '../src/server/storage/sqlite/store.ts';
import type { Store } from '../src/server/storage/store.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { tempDir } from '../test/helpers/server.ts';

const N = Number(process.env.BENCH_STATEMENTS ?? 20_000);
const SQL = 'SELECT * FROM members WHERE workspace_id = ? AND email = ?';

interface Tables { members: { id: string; workspace_id: string; email: string; role: string; licensed: number; token_hash: string; token_mask: string; legacy_key_hash: string | null; seq?: Generated<number> } }

/** CPU microseconds per call of fn, after a warm-up. */
async function cpuPer(fn: () => unknown, n = N): Promise<number> {
  for (let i = 0; i < Math.min(2000, n); i++) await fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / n;
}

/** node:sqlite behind the better-sqlite3 shape that Kysely's SqliteDialect drives (statements cached as the store does). */
function kyselySqlite(path: string): Kysely<Tables> {
  const conn = new DatabaseSync(path);
  const cache = new Map<string, StatementSync>();
  const prepare = (text: string) => {
    let s = cache.get(text);
    if (!s) cache.set(text, (s = conn.prepare(text)));
    const stmt = s;
    return {
      reader: stmt.columns().length > 0,
      all: (p: readonly unknown[]) => stmt.all(...(p as never[])),
      run: (p: readonly unknown[]) => stmt.run(...(p as never[])),
      iterate: (p: readonly unknown[]) => stmt.iterate(...(p as never[])),
    };
  };
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database: { prepare, close: () => conn.close() } as never }) });
}

async function seed(store: Store): Promise<void> {
  await store.write(async (tx) => {
    await tx.upsertWorkspace('ws-1', 'Bench', '2026-01-01T00:00:00Z');
    for (let i = 0; i < 50; i++) {
      await tx.insertMember({ id: `m-${i}`, workspace_id: 'ws-1', email: `u${i}@bench.test`, role: 'member', licensed: 1, token_hash: `h${i}`, token_mask: 'ls-XXXX…', legacy_key_hash: null });
    }
  });
}

const fmt = (us: number) => `${us.toFixed(1).padStart(6)} µs`;

const dir = tempDir('pa-bench-queries-');
const sqlite = await SqliteStore.open(dir);
await seed(sqlite);
const direct = new DatabaseSync(sqlite.path);
const stmt = direct.prepare(SQL);
const kSqlite = kyselySqlite(sqlite.path);
const kQuery = () => kSqlite.selectFrom('members').selectAll().where('workspace_id', '=', 'ws-1').where('email', '=', 'u7@bench.test');
const compile = await cpuPer(() => kQuery().compile());
const sqliteRows = {
  direct: await cpuPer(() => stmt.get('ws-1', 'u7@bench.test')),
  layer: await cpuPer(() => sqlite.sql.get(SQL, 'ws-1', 'u7@bench.test')),
  kysely: await cpuPer(() => kQuery().executeTakeFirst()),
};
await kSqlite.destroy();
direct.close();
await sqlite.close();

const postgres = await startPostgres({ skip: (m) => { throw new Error(m); } });
const url = await postgres!.createDatabase();
const pgStore = await PostgresStore.open(url);
await seed(pgStore);
const pool = new pg.Pool({ connectionString: url, max: 1 });
const kPg = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
const pgN = Math.round(N / 4);
const pgRows = {
  layer: await cpuPer(() => pgStore.sql.get(SQL, 'ws-1', 'u7@bench.test'), pgN),
  kysely: await cpuPer(() => kPg.selectFrom('members').selectAll().where('workspace_id', '=', 'ws-1').where('email', '=', 'u7@bench.test').executeTakeFirst(), pgN),
};
await kPg.destroy();
await pgStore.close();
postgres!.stop();

process.stdout.write(`query layer: CPU per statement (${SQL}), same run
  Kysely compile alone (no engine)       ${fmt(compile)}
  SQLite  direct prepared statement      ${fmt(sqliteRows.direct)}
  SQLite  shared layer (store.sql)       ${fmt(sqliteRows.layer)}   ${(sqliteRows.layer / sqliteRows.direct).toFixed(2)}× direct
  SQLite  Kysely (node:sqlite dialect)   ${fmt(sqliteRows.kysely)}   ${(sqliteRows.kysely / sqliteRows.direct).toFixed(2)}× direct
  PostgreSQL shared layer (store.sql)    ${fmt(pgRows.layer)}   (client CPU; one connection)
  PostgreSQL Kysely (PostgresDialect)    ${fmt(pgRows.kysely)}   ${(pgRows.kysely / pgRows.layer).toFixed(2)}× the layer
`);
