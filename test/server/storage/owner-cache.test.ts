import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { test } from 'node:test';
import { BatchedRead } from '../../../src/server/storage/batched-read.ts';
import { insertLeakedCredential } from '../../../src/server/storage/leaks.ts';
import { hashCredential } from '../../../src/core/credentials.ts';
import { ACCOUNT_VERSION_SQL, OwnerCache } from '../../../src/server/storage/owner-cache.ts';
import { DB_FILE, SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startApp, tempDir } from '../../helpers/server.ts';

// The owner of a credential kept in memory (issue 22): every account write is seen by the next activation.

const tick = () => new Promise((r) => setImmediate(r));

test('a write through the server is seen by the next activation: seat, role, license, revocation (TEST_STORE=postgres too)', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  try {
    const member = (await s.store.memberByTokenHash(hashCredential(f.member)))!;
    const admin = (await s.store.memberByTokenHash(hashCredential(f.admin)))!;
    const twice = async (token: string, ci = false) => {
      for (let i = 0; i < 2; i++) assert.equal((await activateVia(s, token, { ci })).status, 200);
    };

    await twice(f.member);
    await s.accounts.setSeat(member.id, false);
    assert.equal((await activateVia(s, f.member)).json.error.code, 'licensing.license.not_found');
    await s.accounts.setSeat(member.id, true);
    await twice(f.member);

    assert.equal((await api(s, 'GET', '/v1/ci-tokens', { token: f.admin })).status, 200);
    assert.equal((await api(s, 'PUT', `/admin/v1/members/${admin.id}/role`, { token: ADMIN_TOKEN, body: { role: 'member' } })).status, 200);
    assert.equal((await api(s, 'GET', '/v1/ci-tokens', { token: f.admin })).status, 403);

    // A revocation as an alert writes it: the token's hash moves to leaked_credentials, in one transaction.
    await s.accounts.write(async (ops) => {
      await ops.rotateMemberToken(member.id);
      await insertLeakedCredential(ops.tx.sql, {
        token_hash: hashCredential(f.member), kind: 'developer', token_mask: 'ls-XXXX…', workspace_id: 'ws-acme', subject_id: member.id,
        subject_name: member.email, action: 'rotated', found_at: new Date().toISOString(), found_where: 'github.com/acme/app', source: 'test', alert_id: 'alert-1',
      });
    });
    assert.equal((await activateVia(s, f.member)).json.error.code, 'licensing.credentials.leaked');

    await twice(f.ci, true);
    await s.accounts.endLicense('ws-acme', new Date());
    assert.equal((await activateVia(s, f.ci, { ci: true })).json.error.code, 'licensing.license.expired');
  } finally {
    await s.close();
  }
});

test('SQLite: every insert, update and delete of a workspace, member, CI token or license bumps the account version; activations do not', async () => {
  const dir = tempDir();
  const store = SqliteStore.open(dir);
  await store.close();
  const db = new DatabaseSync(join(dir, DB_FILE));
  const version = () => (db.prepare(ACCOUNT_VERSION_SQL).get() as { version: number }).version;
  const bumps = (sql: string) => {
    const before = version();
    db.exec(sql);
    return version() - before;
  };
  assert.equal(bumps("INSERT INTO workspaces VALUES ('ws-1', 'One', '2026-01-01T00:00:00Z')"), 1);
  assert.equal(bumps("INSERT INTO members (id, workspace_id, email, role, licensed, token_hash, token_mask) VALUES ('m-1', 'ws-1', 'a@b.test', 'member', 0, 'h1', 'ls-…')"), 1);
  assert.equal(bumps("UPDATE members SET licensed = 1 WHERE id = 'm-1'"), 1);
  assert.equal(bumps("INSERT INTO ci_tokens VALUES ('ci-1', 'ws-1', 'ci', 'h2', 'lsci-…', '2026-01-01T00:00:00Z')"), 1);
  assert.equal(bumps("DELETE FROM ci_tokens WHERE id = 'ci-1'"), 1);
  assert.equal(bumps("INSERT INTO licenses VALUES ('ws-1', 'lic-1', 'subscription', 'pro', 2, NULL, NULL)"), 1);
  assert.equal(bumps("UPDATE licenses SET seats = 3 WHERE workspace_id = 'ws-1'"), 1);
  assert.equal(bumps("UPDATE workspaces SET name = 'Uno' WHERE id = 'ws-1'"), 1);
  assert.equal(bumps("INSERT INTO activations (id, workspace_id, subject, at, ci) VALUES ('act-1', 'ws-1', 'm-1', '2026-01-01T00:00:00Z', 0)"), 0);
  assert.ok(bumps("DELETE FROM workspaces WHERE id = 'ws-1'") >= 1);
  db.close();
});

test('SQLite: another program\'s change seen with a newer version is not hidden by an owner kept before it', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  if (!(s.store instanceof SqliteStore)) return s.close();
  try {
    assert.equal((await activateVia(s, f.member)).status, 200);
    assert.equal((await activateVia(s, f.unlicensed)).json.error.code, 'licensing.license.not_found');
    const other = new DatabaseSync(join(s.dataDir, DB_FILE));
    other.exec("UPDATE members SET licensed = 1 WHERE email = 'new@acme.test'");
    other.close();
    // The unknown-to-the-cache credential is read afresh, with the newer version: from then on nothing older is used.
    assert.equal((await activateVia(s, f.admin)).status, 200);
    assert.equal((await activateVia(s, f.unlicensed)).status, 200);
  } finally {
    await s.close();
  }
});

test('OwnerCache: an owner is used only at the version it was read at, frozen, and the cache stays bounded', () => {
  const cache = new OwnerCache(2);
  const owner = { kind: 'ci' as const, ciToken: { id: 'ci-1', workspace_id: 'ws', name: 'n', token_hash: 'h', token_mask: 'm', created_at: 't' }, workspace: { id: 'ws', name: 'W', created_at: 't' }, license: undefined };
  const kept = cache.keep('ci_token_hash', 'h', owner, '7');
  assert.equal(cache.owner('ci_token_hash', 'h', 7), kept);
  assert.equal(cache.owner('ci_token_hash', 'h', '8'), undefined);
  assert.equal(cache.owner('token_hash', 'h', '7'), undefined, 'the column is part of the key');
  assert.throws(() => { (kept.workspace as { name: string }).name = 'changed'; }, TypeError);
  cache.keep('ci_token_hash', 'h2', owner, '7');
  cache.keep('ci_token_hash', 'h3', owner, '7');
  assert.equal(cache.has('ci_token_hash', 'h'), false, 'full: started again empty');
  assert.equal(cache.has('ci_token_hash', 'h3'), true);
});

test('BatchedRead: callers of one turn share a read; a caller that arrives while it is in flight gets the next one', async () => {
  const started: ((v: number) => void)[] = [];
  const read = new BatchedRead(() => new Promise<number>((resolve) => started.push(resolve)));
  const first = [read.read(), read.read()];
  await tick();
  assert.equal(started.length, 1);
  const late = read.read();
  await tick();
  assert.equal(started.length, 1, 'not joined to the read in flight, nor a second one at once');
  started[0](1);
  assert.deepEqual(await Promise.all(first), [1, 1]);
  await tick();
  assert.equal(started.length, 2, 'the next read starts when the first ends');
  started[1](2);
  assert.equal(await late, 2);
});

test('BatchedRead: a failed read fails its callers only', async () => {
  let n = 0;
  const read = new BatchedRead(async () => {
    if (n++ === 0) throw new Error('down');
    return n;
  });
  await assert.rejects(read.read(), /down/);
  assert.equal(await read.read(), 2);
});
