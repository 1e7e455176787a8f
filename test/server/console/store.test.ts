import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqliteConsoleStore } from '../../../src/server/console/store.ts';

const inv = (code: string, expires: string) => ({ code_hash: code, member_id: 'mem-1', token_box: null, created_at: '2026-01-01T00:00:00Z', expires_at: expires });

test('an invitation is taken once, even by two racing takers, and an expired one is never returned (and is gone)', async () => {
  const store = new SqliteConsoleStore(new DatabaseSync(':memory:'));
  await store.createInvitation(inv('a', '2026-01-02T00:00:00Z'));
  await store.createInvitation(inv('b', '2026-01-02T00:00:00Z'));
  const both = await Promise.all([store.takeInvitation('a', '2026-01-01T12:00:00Z'), store.takeInvitation('a', '2026-01-01T12:00:00Z')]);
  assert.deepEqual(both.map((x) => x?.member_id), ['mem-1', undefined]);
  assert.equal(await store.takeInvitation('b', '2026-01-02T00:00:00Z'), undefined, 'expired at its end');
  assert.equal(await store.takeInvitation('b', '2026-01-01T00:00:00Z'), undefined, 'and consumed by the failed try');
});

test('every write goes through the serialiser the server gives (its write queue), reads do not', async () => {
  const writes: string[] = [];
  let queue = Promise.resolve();
  const store = new SqliteConsoleStore(new DatabaseSync(':memory:'), (write) => {
    const run = queue.then(() => {
      writes.push('write');
      return write();
    });
    queue = run.then(() => undefined, () => undefined);
    return run;
  });
  await store.setLogin({ member_id: 'm1', email: 'a@x.test', password_hash: 'h', token_box: null, created_at: '2026-01-01T00:00:00Z' });
  await store.createInvitation(inv('c', '2026-01-02T00:00:00Z'));
  await store.takeInvitation('c', '2026-01-01T00:00:00Z');
  assert.equal(store.loginsByEmail('a@x.test').length, 1);
  assert.deepEqual(writes, ['write', 'write', 'write']);
});

test('tables are created idempotently on the same database; logins upsert; sessions expire and end per member', async () => {
  const db = new DatabaseSync(':memory:');
  const store = new SqliteConsoleStore(db);
  new SqliteConsoleStore(db);
  await store.setLogin({ member_id: 'm1', email: 'a@x.test', password_hash: 'h1', token_box: null, created_at: '2026-01-01T00:00:00Z' });
  await store.setLogin({ member_id: 'm1', email: 'a@x.test', password_hash: 'h2', token_box: 'box', created_at: '2026-02-01T00:00:00Z' });
  assert.deepEqual(store.loginsByEmail('a@x.test').map((l) => [l.password_hash, l.token_box, l.created_at]), [['h2', 'box', '2026-01-01T00:00:00Z']]);
  await store.setTokenBox('m1', null);
  assert.equal(store.login('m1')?.token_box, null);
  const s = (id: string, member: string, exp: string) => ({ id_hash: id, member_id: member, key_box: 'k', created_at: '2026-01-01T00:00:00Z', expires_at: exp });
  await store.createSession(s('s1', 'm1', '2026-01-01T12:00:00Z'));
  await store.createSession(s('s2', 'm1', '2026-01-03T00:00:00Z'));
  await store.createSession(s('s3', 'm2', '2026-01-03T00:00:00Z'));
  await store.deleteExpiredSessions('2026-01-02T00:00:00Z');
  assert.equal(store.session('s1'), undefined);
  await store.deleteSessionsOf('m1');
  assert.equal(store.session('s2'), undefined);
  assert.equal(store.session('s3')?.member_id, 'm2');
});
