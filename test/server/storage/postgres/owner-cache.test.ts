import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../../helpers/postgres.ts';
import { keyDocument, match, scannerKey, signedHeaders } from '../../../helpers/scanner.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startServer, tempDir, type RunningServer } from '../../../helpers/server.ts';

// Each replica keeps a credential's owner in memory (issue 22): a change written through one replica, or straight into
// the database, must be seen by the very next activation on every replica, each of which had kept the owner before.

let pg: Postgres;
const github = scannerKey('owner-cache-key');

before(async () => {
  pg = (await startPostgres({ skip: () => undefined }))!;
});
after(() => pg?.destroy());

/** Activates twice on every replica: the second answer comes from the owner each replica kept. */
async function keptEverywhere(servers: RunningServer[], token: string, ci = false): Promise<void> {
  for (const s of servers) for (let i = 0; i < 2; i++) assert.equal((await activateVia(s, token, { ci })).status, 200, `${s.url} activates before the change`);
}

async function everywhere(servers: RunningServer[], token: string, status: number, code?: string, ci = false): Promise<void> {
  for (const s of servers) {
    const r = await activateVia(s, token, { ci });
    assert.equal(r.status, status, `${s.url}: ${r.text}`);
    if (code) assert.equal(r.json.error.code, code);
  }
}

test('seat, role, license, leak and a direct SQL change on one replica are seen by the next activation on the others', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const url = await pg.createDatabase();
  const keys = join(tempDir(), 'keys.json');
  writeFileSync(keys, keyDocument([github]));
  const args = ['--rate-limit', '0', '--database', url, '--secret-scanning-keys', keys];
  const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };
  const a = await startServer({ seed: f.seed, args, env });
  const b = await startServer({ args, env });
  const servers = [a, b];
  try {
    const members = (await api(a, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json.members as { id: string; email: string }[];
    const id = (email: string) => members.find((m) => m.email === email)!.id;

    // A seat taken away on A, given back on B.
    await keptEverywhere(servers, f.member);
    assert.equal((await api(a, 'PUT', `/admin/v1/members/${id('dev@acme.test')}/seat`, { token: ADMIN_TOKEN, body: { licensed: false } })).status, 200);
    await everywhere(servers, f.member, 403, 'licensing.license.not_found');
    assert.equal((await api(b, 'PUT', `/admin/v1/members/${id('dev@acme.test')}/seat`, { token: ADMIN_TOKEN, body: { licensed: true } })).status, 200);
    await everywhere(servers, f.member, 200);

    // A role changed on B: the admin's own requests on A (which read the same kept owner) lose the admin's rights at once.
    for (const s of servers) assert.equal((await api(s, 'GET', '/v1/ci-tokens', { token: f.admin })).status, 200);
    assert.equal((await api(b, 'PUT', `/admin/v1/members/${id('admin@acme.test')}/role`, { token: ADMIN_TOKEN, body: { role: 'member' } })).status, 200);
    for (const s of servers) assert.equal((await api(s, 'GET', '/v1/ci-tokens', { token: f.admin })).status, 403, `${s.url} still lets the demoted admin in`);

    // A leaked token revoked by an alert on A is refused as leaked on B.
    await keptEverywhere(servers, f.member);
    const body = JSON.stringify([match(f.member, 'https://github.com/acme/app/blob/main/.env')]);
    const alert = await api(a, 'POST', '/v1/secret-scanning/alerts', { raw: body, headers: signedHeaders(body, github) });
    assert.equal(alert.json?.[0]?.label, 'true_positive', alert.text);
    await everywhere(servers, f.member, 401, 'licensing.credentials.leaked');

    // A change written straight into the database (psql, an older server) bumps the version too.
    await everywhere(servers, f.unlicensed, 403, 'licensing.license.not_found');
    await pg.query("UPDATE members SET licensed = 1 WHERE email = 'new@acme.test'", url.split('/').pop());
    await everywhere(servers, f.unlicensed, 200);

    // The license ended on B: the CI token, kept on both, is refused on A.
    await keptEverywhere(servers, f.ci, true);
    assert.equal((await api(b, 'DELETE', '/admin/v1/workspaces/ws-acme/license', { token: ADMIN_TOKEN })).status, 200);
    await everywhere(servers, f.ci, 403, 'licensing.license.expired', true);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});
