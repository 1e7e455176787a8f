import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { binDir, KEY_SECRET, postgresMissing, startPostgres } from '../../helpers/postgres.ts';
import { activationBody, api, fixture, startServer, tempDir, type RunningServer } from '../../helpers/server.ts';

// The self-hosting guide's backup advice, done for real while activations run: a server started on the copy serves
// every account and holds every activation answered before the backup began.

const run = promisify(execFile);
const f = fixture();
const TOKENS = [f.admin, f.member, f.ci, f.legacy];

/** Activations from a few concurrent clients until told to stop (bounded); each answered one with its time. */
function load(server: RunningServer) {
  const answered: { jti: string; at: number }[] = [];
  let stop = false;
  const worker = async () => {
    for (let i = 0; i < 1500 && !stop; i++) {
      const res = await api(server, 'POST', '/v1/license/activate', { token: f.ci, body: activationBody({ ci: true, ciProvider: 'backup-test' }) });
      if (res.status !== 200) continue;
      const claims = JSON.parse(Buffer.from(String(res.json.license).split('.')[1]!, 'base64url').toString());
      answered.push({ jti: claims.jti, at: performance.now() });
    }
  };
  const workers = Promise.all([worker(), worker(), worker(), worker()]);
  return {
    answered,
    untilAnswered: async (n: number) => { while (answered.length < n) await new Promise((r) => setTimeout(r, 10)); },
    stop: async () => { stop = true; await workers; },
  };
}

/** Every account of the fixture activates against the server started on the copy. */
async function assertServes(server: RunningServer): Promise<void> {
  for (const token of TOKENS) {
    const res = await api(server, 'POST', '/v1/license/activate', { token, body: activationBody({ ci: token === f.ci, ciProvider: token === f.ci ? 'restored' : null }) });
    assert.equal(res.status, 200, `${token.slice(0, 5)}… activates on the copy: ${JSON.stringify(res.json)}`);
  }
}

test('SQLite: sqlite3 .backup while activations run; a server on the copy serves every account and every activation answered before', { timeout: 120_000 }, async () => {
  const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const copy = tempDir('pa-backup-copy-');
  const traffic = load(server);
  let before: Set<string>;
  try {
    await traffic.untilAnswered(100);
    const started = performance.now();
    before = new Set(traffic.answered.filter((a) => a.at < started).map((a) => a.jti));
    // The guide's advice, as written: the database with sqlite3's online backup, the key file beside it.
    await run('sqlite3', [join(server.dataDir, 'license.db'), `.backup ${join(copy, 'license.db')}`]);
    copyFileSync(join(server.dataDir, 'signing-keys.json'), join(copy, 'signing-keys.json'));
    await traffic.untilAnswered(traffic.answered.length + 50);
  } finally {
    await traffic.stop();
    await server.stop();
  }
  const db = new DatabaseSync(join(copy, 'license.db'), { readOnly: true });
  const stored = new Set((db.prepare('SELECT id FROM activations').all() as { id: string }[]).map((r) => r.id));
  assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  db.close();
  const missing = [...before!].filter((jti) => !stored.has(jti));
  assert.deepEqual(missing, [], `${before!.size} activations answered before the backup; missing from it: ${missing.length}`);
  const restored = await startServer({ dataDir: copy, args: ['--rate-limit', '0'] });
  try {
    await assertServes(restored);
  } finally {
    await restored.stop();
  }
});

test('PostgreSQL: pg_dump while activations run, pg_restore into a new database; a server on it serves every account and activation', { timeout: 180_000 }, async (t) => {
  const pg = await startPostgres(t);
  if (!pg) return t.skip(postgresMissing());
  try {
    const url = await pg.createDatabase();
    const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };
    const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--database', url], env });
    const dump = join(tempDir('pa-pgdump-'), 'license.dump');
    const traffic = load(server);
    let before: Set<string>;
    try {
      await traffic.untilAnswered(100);
      const started = performance.now();
      before = new Set(traffic.answered.filter((a) => a.at < started).map((a) => a.jti));
      await run(join(binDir()!, 'pg_dump'), ['--format=custom', '--file', dump, url]);
      await traffic.untilAnswered(traffic.answered.length + 50);
    } finally {
      await traffic.stop();
      await server.stop();
    }
    const restoredUrl = await pg.createDatabase();
    await run(join(binDir()!, 'pg_restore'), ['--no-owner', '--dbname', restoredUrl, dump]);
    const rows = await pg.query('SELECT id FROM activations', restoredUrl.split('/').pop());
    const stored = new Set(rows.rows.map((r: { id: string }) => r.id));
    const missing = [...before!].filter((jti) => !stored.has(jti));
    assert.deepEqual(missing, [], `${before!.size} activations answered before the dump; missing from it: ${missing.length}`);
    // The key-encryption secret comes from the operator's secret store, not from the dump.
    const restored = await startServer({ args: ['--rate-limit', '0', '--database', restoredUrl], env });
    try {
      await assertServes(restored);
    } finally {
      await restored.stop();
    }
  } finally {
    pg.destroy();
  }
});
