import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { describeDuplicate, normalizeEmail, normalizeStoredEmails } from '../../../src/server/accounts/email.ts';
import { PostgresStore } from '../../../src/server/storage/postgres/store.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../../src/server/storage/store.ts';
import { sharedDatabase } from '../../helpers/postgres.ts';
import { ADMIN_TOKEN, api, fixture, startServer, tempDir } from '../../helpers/server.ts';

test('look-alike addresses have one form: fullwidth letters, zero-width and bidi characters, case, spaces', () => {
  for (const raw of ['ownerb@b.test', ' OwnerB@B.TEST ', '\uff4fwnerb@b.test', 'ownerb@b.test\u200b', 'own\u200derb@b.test', '\u202eownerb@b.test', 'ｏｗｎｅｒｂ＠ｂ.ｔｅｓｔ']) {
    assert.equal(normalizeEmail(raw), 'ownerb@b.test', JSON.stringify(raw));
  }
  assert.notEqual(normalizeEmail('owner-b@b.test'), 'ownerb@b.test');
});

const stores: Store[] = [];
after(async () => { await Promise.all(stores.map((s) => s.close())); });
const open = { sqlite: async () => SqliteStore.open(tempDir('pa-email-')), postgres: async () => PostgresStore.open(await sharedDatabase(tempDir('pa-email-pg-'))) };

for (const [engine, opener] of Object.entries(open)) {
  test(`${engine}: addresses stored by an older server are normalised at start; duplicates are left and named`, async () => {
    const store = await opener();
    stores.push(store);
    const member = (id: string, ws: string, email: string) => ({ id, workspace_id: ws, email, role: 'member' as const, licensed: 0, token_hash: `h-${id}`, token_mask: 'ls-AAAA…', legacy_key_hash: null });
    // Rows as an older server wrote them: its own normal form was trim + lower case only.
    await store.write(async (tx) => {
      await tx.upsertWorkspace('ws-a', 'A', '2026-01-01T00:00:00Z');
      await tx.upsertWorkspace('ws-b', 'B', '2026-01-01T00:00:00Z');
      await tx.insertMember(member('m1', 'ws-a', 'ownerb@b.test'));
      await tx.insertMember(member('m2', 'ws-a', '\uff4fwnerb@b.test'));
      await tx.insertMember(member('m3', 'ws-b', 'dev\u200b@b.test'));
      await tx.insertMember(member('m4', 'ws-b', 'ok@b.test'));
    });
    const result = await store.write((tx) => normalizeStoredEmails(tx.sql));
    assert.equal(result.changed, 1, 'the lone look-alike is rewritten');
    assert.equal(result.duplicates.length, 1);
    assert.deepEqual(result.duplicates[0].members.map((m) => m.id).sort(), ['m1', 'm2']);
    assert.match(describeDuplicate(result.duplicates[0]), /ws-a .*ownerb@b\.test.*DELETE \/admin\/v1\/members/);
    assert.equal((await store.member('m3'))!.email, 'dev@b.test');
    assert.equal((await store.member('m2'))!.email, '\uff4fwnerb@b.test', 'a duplicate is never changed silently');
    assert.deepEqual(await store.write((tx) => normalizeStoredEmails(tx.sql)).then((r) => r.changed), 0, 'a second start changes nothing');
  });
}

test('the real server: look-alike sign-ups and members are never a second account; a removed member’s token stops working', { timeout: 60_000 }, async () => {
  const f = fixture();
  const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'], env: { ADMIN_TOKEN } });
  try {
    for (const email of ['DEV@acme.test', 'ｄev@acme.test', 'dev@acme.test\u200b']) {
      const res = await api(server, 'POST', '/admin/v1/workspaces/ws-acme/members', { token: ADMIN_TOKEN, body: { email, role: 'member' } });
      assert.ok([400, 409].includes(res.status), `${JSON.stringify(email)}: ${res.status}`);
    }
    const members = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json.members as { email: string }[];
    assert.deepEqual(members.map((m) => m.email).filter((e) => e.includes('dev')), ['dev@acme.test'], 'one dev member');
    const signUp = async (email: string) => {
      const page = await fetch(`${server.url}/sign-up`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
      const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      return fetch(`${server.url}/sign-up`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, email, password: 'a long enough password' }) });
    };
    assert.equal((await signUp('ownerb@b.test')).status, 303);
    for (const email of ['\uff4fwnerb@b.test', 'ownerb@b.test\u200b', 'OWNERB@B.TEST']) assert.equal((await signUp(email)).status, 409, JSON.stringify(email));
    // A member removed through the admin API: its sign-in goes with it; the last owner stays.
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-old', { token: ADMIN_TOKEN })).json;
    const owner = ws.members.find((m: { role: string }) => m.role === 'owner');
    assert.equal((await api(server, 'DELETE', `/admin/v1/members/${owner.id}`, { token: ADMIN_TOKEN })).status, 409);
    const acme = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
    const newbie = acme.members.find((m: { email: string }) => m.email === 'new@acme.test');
    assert.equal((await api(server, 'DELETE', `/admin/v1/members/${newbie.id}`, { token: ADMIN_TOKEN })).status, 204);
    assert.equal((await api(server, 'GET', '/v1/me', { token: f.unlicensed })).status, 401, 'its token no longer works');
  } finally {
    await server.stop();
  }
});
