import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOidcIssuer, type OidcIssuer } from '../../helpers/oidc-issuer.ts';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../helpers/postgres.ts';
import { activateVia, api, fixture, startServer, type RunningServer } from '../../helpers/server.ts';

// Two real license-server replicas on one real PostgreSQL: a trust added on one is honoured by the other at once,
// and an ID token used on one is refused as replayed on the other.

const f = fixture();
let pg: Postgres | undefined;
let issuer: OidcIssuer;
let a: RunningServer;
let b: RunningServer;

before(async () => {
  pg = await startPostgres({ skip: () => undefined });
  if (!pg) return;
  issuer = await startOidcIssuer();
  const url = await pg.createDatabase();
  // One audience for both replicas, as behind a load balancer.
  const start = () => startServer({
    seed: f.seed, args: ['--database', url, '--rate-limit', '0', '--oidc-issuer', issuer.url, '--oidc-audience', 'https://license.acme.test'],
    env: { LICENSE_SERVER_KEY_SECRET: KEY_SECRET, NODE_EXTRA_CA_CERTS: issuer.caFile },
  });
  a = await start();
  b = await start();
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await issuer?.close();
  pg?.destroy();
});

test('a trust added on one replica is honoured by another at once; a token used on one is replayed on the other', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const token = await issuer.sign({}, { audience: 'https://license.acme.test' });
  const before = await activateVia(b, token);
  assert.equal(before.json.error.code, 'licensing.oidc.no_trust');
  const added = await api(a, 'POST', '/v1/ci-trusts', { token: f.admin, body: { name: 'app', issuer: issuer.url, conditions: { repository: 'acme/app' } } });
  assert.equal(added.status, 201, added.text);
  const fresh = await issuer.sign({}, { audience: 'https://license.acme.test' });
  const onB = await activateVia(b, fresh);
  assert.equal(onB.status, 200, onB.text);
  const onA = await activateVia(a, fresh);
  assert.equal(onA.json.error.code, 'licensing.oidc.replayed');
  assert.equal((await api(b, 'DELETE', `/v1/ci-trusts/${added.json.id}`, { token: f.admin })).status, 204);
  assert.equal((await activateVia(a, await issuer.sign({}, { audience: 'https://license.acme.test' }))).json.error.code, 'licensing.oidc.no_trust');
});
