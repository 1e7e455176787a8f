import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { consoleStoreFor, type ConsoleStore } from '../../../src/server/console/index.ts';
import { PostgresStore } from '../../../src/server/storage/postgres/store.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../../src/server/storage/store.ts';
import { sharedDatabase } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/server.ts';

let store: Store;
let console_: ConsoleStore;
// TEST_STORE=postgres: the same tests on a real PostgreSQL (console/postgres.test.ts).
const open = async (dir: string): Promise<Store> => (process.env.TEST_STORE === 'postgres' ? PostgresStore.open(await sharedDatabase(dir)) : SqliteStore.open(dir));
let dir: string;
before(async () => {
  dir = tempDir('pa-console-store-');
  store = await open(dir);
  console_ = consoleStoreFor(store)!;
});
after(async () => {
  await store.close();
});

const inv = (code: string, expires: string) => ({ code_hash: code, member_id: 'mem-1', token_box: null, created_at: '2026-01-01T00:00:00Z', expires_at: expires });
const login = (member: string, hash: string) => ({ member_id: member, email: 'a@x.test', password_hash: hash, token_box: null, created_at: '2026-01-01T00:00:00Z' });

test('an invitation is taken once, even by two racing takers, and an expired one is never returned (and is gone)', async () => {
  await console_.createInvitation(inv('a', '2026-01-02T00:00:00Z'));
  await console_.createInvitation(inv('b', '2026-01-02T00:00:00Z'));
  const both = await Promise.all([console_.takeInvitation('a', '2026-01-01T12:00:00Z'), console_.takeInvitation('a', '2026-01-01T12:00:00Z')]);
  // Either taker may win the race (on PostgreSQL the second transaction can reach the row first): one gets it.
  assert.deepEqual(both.map((x) => x?.member_id).sort(), ['mem-1', undefined]);
  assert.equal(await console_.takeInvitation('b', '2026-01-02T00:00:00Z'), undefined, 'expired at its end');
  assert.equal(await console_.takeInvitation('b', '2026-01-01T00:00:00Z'), undefined, 'and consumed by the failed try');
});

test('tables are created idempotently on the same database; logins upsert; sessions expire and end per member', async () => {
  // A second server opening the same database (migrations already applied) finds the rows of the first.
  const again = await open(dir);
  try {
    await consoleStoreFor(again)!.createInvitation(inv('seen-by-both', '2026-01-02T00:00:00Z'));
  } finally {
    await again.close();
  }
  assert.equal((await console_.takeInvitation('seen-by-both', '2026-01-01T00:00:00Z'))?.member_id, 'mem-1');
  await console_.setLogin(login('m1', 'h1'));
  await console_.setLogin({ ...login('m1', 'h2'), token_box: 'box', created_at: '2026-02-01T00:00:00Z' });
  assert.deepEqual((await console_.loginsByEmail('a@x.test')).map((l) => [l.password_hash, l.token_box, l.created_at]), [['h2', 'box', '2026-01-01T00:00:00Z']]);
  await console_.setTokenBox('m1', null);
  assert.equal((await console_.login('m1'))?.token_box, null);
  const s = (id: string, member: string, exp: string) => ({ id_hash: id, member_id: member, key_box: 'k', created_at: '2026-01-01T00:00:00Z', expires_at: exp });
  await console_.createSession(s('s1', 'm1', '2026-01-01T12:00:00Z'));
  await console_.createSession(s('s2', 'm1', '2026-01-03T00:00:00Z'));
  await console_.createSession(s('s3', 'm2', '2026-01-03T00:00:00Z'));
  await console_.deleteExpiredSessions('2026-01-02T00:00:00Z');
  assert.equal(await console_.session('s1'), undefined);
  await console_.deleteSessionsOf('m1');
  assert.equal(await console_.session('s2'), undefined);
  assert.equal((await console_.session('s3'))?.member_id, 'm2');
});

test('a transaction is whole or nothing: account rows and console rows roll back together', async () => {
  await assert.rejects(console_.transaction(async (accounts, writes) => {
    const ws = await accounts.createWorkspace({ id: 'ws-half', name: 'Half' }, new Date('2026-01-01T00:00:00Z'));
    const { member } = await accounts.addMember(ws.id, { email: 'half@x.test', role: 'owner' });
    await writes.setLogin({ ...login(member.id, 'h'), email: 'half@x.test' });
    throw new Error('the disk went away');
  }), /the disk went away/);
  assert.equal(await store.workspace('ws-half'), undefined);
  assert.deepEqual(await console_.loginsByEmail('half@x.test'), []);
  const id = await console_.transaction(async (accounts, writes) => {
    const ws = await accounts.createWorkspace({ id: 'ws-whole', name: 'Whole' }, new Date('2026-01-01T00:00:00Z'));
    const { member } = await accounts.addMember(ws.id, { email: 'whole@x.test', role: 'owner' });
    await writes.setLogin({ ...login(member.id, 'h'), email: 'whole@x.test' });
    return member.id;
  });
  assert.equal((await console_.loginsByEmail('whole@x.test'))[0].member_id, id);
  assert.equal((await store.member(id))?.email, 'whole@x.test');
});
