import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LicenseError } from '../../../src/core/errors.ts';
import { verifyLicense } from '../../../src/core/license.ts';
import { verifyOfflineLicense } from '../../../src/core/offline-license.ts';
import { insertOfflineLicense, offlineLicenses, offlineSeatsTaken } from '../../../src/server/storage/offline-licenses.ts';
import { PostgresStore } from '../../../src/server/storage/postgres/store.ts';
import { SqliteStore } from '../../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../../src/server/storage/store.ts';
import { sharedDatabase } from '../../helpers/postgres.ts';
import { ADMIN_TOKEN, api, fixture, startServer, tempDir, type RunningServer } from '../../helpers/server.ts';

const f = fixture();
let server: RunningServer;
before(async () => {
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
});
after(async () => {
  await server.stop();
});

const admin = (method: string, path: string, body?: unknown) => api(server, method, `/admin/v1${path}`, { token: ADMIN_TOKEN, body });
const jwks = async () => (await api(server, 'GET', '/.well-known/jwks.json')).json;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

test('issued through the API: takes seats while valid, verifies offline as its own kind, listed by id and hash only', async () => {
  const ws = (await admin('GET', '/workspaces/ws-acme')).json;
  const dev = ws.members.find((m: { email: string }) => m.email === 'dev@acme.test');
  // Both seats are assigned: no room for an installation.
  const full = await admin('POST', '/workspaces/ws-acme/offline-licenses', { name: 'build-farm', seats: 1, validUntil: inDays(90) });
  assert.equal(full.status, 409, JSON.stringify(full.json));
  assert.equal(full.json.error.code, 'license.no_seats');
  assert.equal((await admin('PUT', `/members/${dev.id}/seat`, { licensed: false })).status, 200);

  const issued = await admin('POST', '/workspaces/ws-acme/offline-licenses', { name: 'build-farm', seats: 1, validUntil: inDays(90) });
  assert.equal(issued.status, 201, JSON.stringify(issued.json));
  const file = JSON.parse(issued.json.file);
  const verified = await verifyOfflineLicense(file.license, { keys: await jwks() });
  assert.equal(verified.claims.installation, 'build-farm');
  assert.equal(verified.claims.seats, 1);
  assert.equal(verified.claims.ws.id, 'ws-acme');
  assert.equal(verified.claims.jti, issued.json.id);
  await assert.rejects(verifyLicense(file.license, { keys: await jwks(), credential: f.admin }), (e) => e instanceof LicenseError && e.code === 'license.wrong_type');

  // The seat it took is refused to a member past the limit, while it is valid.
  const refused = await admin('PUT', `/members/${dev.id}/seat`, { licensed: true });
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'license.no_seats');
  assert.match(refused.json.error.message, /1 taken by offline licenses/);

  const listed = await admin('GET', '/workspaces/ws-acme/offline-licenses');
  assert.equal(listed.status, 200);
  assert.equal(listed.json.offlineLicenses.length, 1);
  const entry = listed.json.offlineLicenses[0];
  assert.equal(entry.id, issued.json.id);
  assert.equal(entry.seats, 1);
  assert.equal(entry.valid, true);
  assert.match(entry.sha256, /^[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(listed.json).includes(file.license.split('.')[2]), 'the list never holds the file');
});

test('never past the license end, never for a workspace whose license ended, never with nonsense', async () => {
  const past = await admin('POST', '/workspaces/ws-acme/offline-licenses', { name: 'ship', seats: 1, validUntil: '2100-01-01T00:00:00Z' });
  assert.equal(past.status, 400);
  assert.equal(past.json.error.code, 'offline_license.past_license_end');
  const ended = await admin('POST', '/workspaces/ws-old/offline-licenses', { name: 'ship', seats: 1, validUntil: inDays(10) });
  assert.equal(ended.status, 409);
  assert.equal(ended.json.error.code, 'offline_license.no_license');
  for (const body of [{ name: 'x', seats: 0, validUntil: inDays(1) }, { name: 'x', seats: 1, validUntil: 'soon' }, { name: 'x', seats: 1 }, { name: 'x', seats: 1, validUntil: inDays(-1) }]) {
    const r = await admin('POST', '/workspaces/ws-acme/offline-licenses', body);
    assert.equal(r.status, 400, JSON.stringify(body));
  }
  assert.equal((await api(server, 'POST', '/admin/v1/workspaces/ws-acme/offline-licenses', { body: { name: 'x', seats: 1, validUntil: inDays(1) } })).status, 401);
});

test('a key rotation keeps every issued offline license verifying: the retired key stays in the JWKS', async () => {
  // The first test left both seats taken (the admin's and the installation's): free the admin's for this one.
  const ws = (await admin('GET', '/workspaces/ws-acme')).json;
  const a = ws.members.find((m: { email: string }) => m.email === 'admin@acme.test');
  assert.equal((await admin('PUT', `/members/${a.id}/seat`, { licensed: false })).status, 200);
  const issued = await admin('POST', '/workspaces/ws-acme/offline-licenses', { name: 'rotation', seats: 1, validUntil: inDays(30) });
  assert.equal(issued.status, 201, JSON.stringify(issued.json));
  const jws = JSON.parse(issued.json.file).license;
  const before = await verifyOfflineLicense(jws, { keys: await jwks() });
  assert.equal((await admin('POST', '/signing-keys/rotate')).status, 200);
  const keys = await jwks();
  assert.ok(keys.keys[0].kid !== before.kid, 'a new key signs');
  assert.equal((await verifyOfflineLicense(jws, { keys })).kid, before.kid);
  // The operator sees which retired key still signs valid offline licenses, and until when pinned images need it.
  const pinned = (await admin('GET', '/signing-keys/offline-licenses')).json.keys;
  assert.deepEqual(pinned.map((k: { kid: string; current: boolean }) => [k.kid, k.current]), [[before.kid, false]]);
  assert.equal(pinned[0].offlineLicenses, 2);
  assert.ok(Date.parse(pinned[0].validUntil) > before.claims.exp * 1000, 'until the last of them ends (the first one, 90 days)');
});

test('issuers and seat assignments racing for the last free seat: exactly one gets it', async () => {
  const ws = (await admin('POST', '/workspaces', { id: 'ws-race', name: 'Race' })).json;
  assert.equal((await admin('PUT', `/workspaces/${ws.id}/license`, { type: 'subscription', plan: 'pro', seats: 1, expiresAt: inDays(400) })).status, 200);
  const member = (await admin('POST', `/workspaces/${ws.id}/members`, { email: 'm@race.test', role: 'member' })).json;
  const answers = await Promise.all([
    ...Array.from({ length: 8 }, (_, i) => admin('POST', `/workspaces/${ws.id}/offline-licenses`, { name: `site-${i}`, seats: 1, validUntil: inDays(30) })),
    admin('PUT', `/members/${member.id}/seat`, { licensed: true }),
  ]);
  const won = answers.filter((r) => r.status === 200 || r.status === 201);
  assert.equal(won.length, 1, JSON.stringify(answers.map((r) => r.status)));
  assert.ok(answers.every((r) => r.status === 200 || r.status === 201 || (r.status === 409 && r.json.error.code === 'license.no_seats')));
  const issued = (await admin('GET', `/workspaces/${ws.id}/offline-licenses`)).json.offlineLicenses;
  const seated = (await admin('GET', `/workspaces/${ws.id}`)).json.members.filter((m: { licensed: boolean }) => m.licensed);
  assert.equal(issued.length + seated.length, 1, 'one seat, one holder');
});

const stores: Store[] = [];
after(async () => { await Promise.all(stores.map((s) => s.close())); });
const open = {
  sqlite: () => SqliteStore.open(tempDir('pa-off-')),
  postgres: async () => PostgresStore.open(await sharedDatabase(tempDir('pa-off-pg-'))),
};
for (const [engine, opener] of Object.entries(open)) {
  test(`${engine}: the offline licenses' statements (migration 5) write, list and count seats of valid ones only`, async () => {
    const store = await opener();
    stores.push(store);
    const row = (id: string, seats: number, expires: string) => ({
      id, workspace_id: 'ws-x', name: id, seats, kid: 'k', sha256: `${id}-hash`, issued_by: 'test', issued_at: '2026-01-01T00:00:00.000Z', not_before: '2026-01-01T00:00:00.000Z', expires_at: expires,
    });
    await store.write(async (tx) => {
      await tx.upsertWorkspace('ws-x', 'X', '2026-01-01T00:00:00.000Z');
      await insertOfflineLicense(tx.sql, row('off-a', 2, '2026-06-01T00:00:00.000Z'));
      await insertOfflineLicense(tx.sql, row('off-b', 3, '2026-03-01T00:00:00.000Z'));
      assert.equal(await offlineSeatsTaken(tx.sql, 'ws-x', new Date('2026-02-01T00:00:00Z')), 5, 'the writing transaction sees its own rows');
    });
    assert.equal(await offlineSeatsTaken(store.sql, 'ws-x', new Date('2026-04-01T00:00:00Z')), 2);
    assert.equal(await offlineSeatsTaken(store.sql, 'ws-x', new Date('2026-06-01T00:00:00Z')), 0, 'the end is exclusive');
    assert.deepEqual((await offlineLicenses(store.sql, 'ws-x')).map((r) => r.id).sort(), ['off-a', 'off-b']);
    await assert.rejects(store.write((tx) => insertOfflineLicense(tx.sql, row('off-c', 1, '2027-01-01T00:00:00.000Z'))).then(() => store.write((tx) => insertOfflineLicense(tx.sql, { ...row('off-d', 1, '2027-01-01T00:00:00.000Z'), sha256: 'off-c-hash' }))));
  });
}
