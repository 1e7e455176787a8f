import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { credentialBinding } from '../../../src/core/credentials.ts';
import { oidcBindingValue } from '../../../src/core/oidc-binding.ts';
import { OIDC } from '../../../src/server/constants.ts';
import { startOidcIssuer, type OidcIssuer } from '../../helpers/oidc-issuer.ts';
import { ADMIN_TOKEN, activateVia, api, fixture, startServer, type RunningServer } from '../../helpers/server.ts';

// The real license server trusting a real HTTPS issuer (private CA, NODE_EXTRA_CA_CERTS) by --oidc-issuer.

const f = fixture();
let issuer: OidcIssuer;
let server: RunningServer;
let trustId: string;

before(async () => {
  issuer = await startOidcIssuer();
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--oidc-issuer', issuer.url], env: { NODE_EXTRA_CA_CERTS: issuer.caFile } });
});
after(async () => {
  await server?.stop();
  await issuer?.close();
});

const trust = (body: unknown, token = f.admin) => api(server, 'POST', '/v1/ci-trusts', { token, body });
const idToken = (claims: Record<string, unknown> = {}, options: Parameters<OidcIssuer['sign']>[1] = {}) => issuer.sign(claims, { audience: server.url, ...options });

test('members who may manage CI tokens add, list and delete trusted CI identities; a trust must pin the repository or its owner', async () => {
  const noPin = await trust({ name: 'all of main', issuer: issuer.url, conditions: { ref: 'refs/heads/main' } });
  assert.equal(noPin.status, 400);
  assert.match(noPin.json.error.message, /pin the repository or its owner with one of repository_id, repository,.*would admit every repository/);
  const foreign = await trust({ name: 'x', issuer: 'https://ci.example.com', conditions: { repository: 'acme/app' } });
  assert.equal(foreign.status, 400);
  assert.match(foreign.json.error.message, /not an issuer this server trusts; use one of https:\/\/token\.actions\.githubusercontent\.com, https:\/\/gitlab\.com, https:\/\/127\.0\.0\.1:/);
  assert.equal((await trust({ name: 'x', issuer: issuer.url, conditions: { repository: 'acme/app' } }, f.member)).status, 403);

  const created = await trust({ name: 'app on main', issuer: issuer.url, conditions: { repository: 'acme/app', ref: 'refs/heads/main' } });
  assert.equal(created.status, 201, created.text);
  trustId = created.json.id;
  assert.deepEqual(created.json.conditions, { repository: 'acme/app', ref: 'refs/heads/main' });
  assert.equal((await trust({ name: 'app on main', issuer: issuer.url, conditions: { repository: 'acme/app' } })).status, 409);
  const listed = await api(server, 'GET', '/v1/ci-trusts', { token: f.admin });
  assert.deepEqual(listed.json.ciTrusts.map((t: { id: string }) => t.id), [trustId]);

  // The operator's API: the same, by workspace.
  const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const other = await api(server, 'POST', '/admin/v1/workspaces/ws-old/ci-trusts', { ...admin, body: { name: 'old', issuer: issuer.url, conditions: { repository_owner_id: '99' } } });
  assert.equal(other.status, 201, other.text);
  assert.equal((await api(server, 'GET', '/admin/v1/workspaces/ws-old/ci-trusts', admin)).json.ciTrusts.length, 1);
  assert.equal((await api(server, 'DELETE', `/admin/v1/workspaces/ws-acme/ci-trusts/${other.json.id}`, admin)).status, 404);
  assert.equal((await api(server, 'DELETE', `/admin/v1/workspaces/ws-old/ci-trusts/${other.json.id}`, admin)).status, 204);
});

test('a verified ID token of a trusted pipeline activates a CI license, recorded with the trust and the pipeline', async () => {
  const token = await idToken();
  const res = await activateVia(server, token);
  assert.equal(res.status, 200, res.text);
  const claims = decodeJwt(res.json.license) as Record<string, any>;
  assert.equal(claims.ci, true);
  assert.equal(claims.sub, trustId);
  assert.equal(claims.ws.id, 'ws-acme');
  assert.equal(claims.tok, credentialBinding(oidcBindingValue(issuer.url, 'repo:acme/app:ref:refs/heads/main')));
  const listed = await api(server, 'GET', '/admin/v1/workspaces/ws-acme/activations', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const row = listed.json.activations.find((a: { subject: string }) => a.subject === trustId);
  assert.deepEqual(row.pipeline, { repository: 'acme/app', ref: 'refs/heads/main', environment: null, run: '1001/1' });
  assert.ok(!server.output().includes(token), 'the ID token never reaches the server\'s output');
});

test('refused, each with its cause and fix: another repository, another ref, expired, wrong audience, replayed, untrusted issuer, forged', async () => {
  const refused = async (token: string, code: string, message: RegExp) => {
    const res = await activateVia(server, token);
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.error.code, `licensing.oidc.${code}`);
    assert.match(res.json.error.message, message);
    assert.ok(!res.text.includes(token));
  };
  await refused(await idToken({ repository: 'acme/other', sub: 'repo:acme/other:ref:refs/heads/main' }), 'no_trust',
    /^No trusted CI identity of https:\/\/127\.0\.0\.1:\d+ matches this pipeline \(repository acme\/other, ref refs\/heads\/main, environment \(none\)\)\. Add one/);
  await refused(await idToken({ ref: 'refs/heads/feature' }), 'no_trust', /repository acme\/app, ref refs\/heads\/feature/);
  await refused(await idToken({}, { issuedAgoS: 1000, expiresInS: 300 }), 'expired', /^The ID token expired at .*\. Request a fresh one/);
  await refused(await idToken({}, { audience: 'https://someone-else.example' }), 'audience',
    new RegExp(`for the audience "https://someone-else.example", not this license server's "${server.url}"\\. Request it for ${server.url}`));
  const once = await idToken();
  assert.equal((await activateVia(server, once)).status, 200);
  await refused(once, 'replayed', /used for an activation already.*Request a fresh ID token/);
  await refused(await idToken({}, { issuer: 'https://token.example.org' }), 'issuer_untrusted', /does not trust ID tokens from "https:\/\/token\.example\.org" \(it trusts https:\/\/token\.actions\.githubusercontent\.com, https:\/\/gitlab\.com, https:\/\/127\.0\.0\.1:\d+\)\. Ask its operator to add it with --oidc-issuer/);
  // A token whose payload was changed after signing (another repository) does not verify.
  const [h, , s] = (await idToken()).split('.');
  const payload = Buffer.from(JSON.stringify({ ...decodeJwt(await idToken()), repository: 'evil/app' })).toString('base64url');
  await refused(`${h}.${payload}.${s}`, 'signature', /does not verify with the published keys/);
});

test('the issuer rotates its key: the new kid is fetched once (bounded), tokens of the old key stop verifying', async () => {
  const before = issuer.hits.get('/.well-known/jwks') ?? 0;
  const old = await idToken();
  await issuer.rotate();
  // The key set is refetched on an unknown kid at most once per cooldown; let the last fetch's cooldown pass.
  await sleep(OIDC.jwksCooldownMs + 200);
  const fresh = await activateVia(server, await idToken());
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal(issuer.hits.get('/.well-known/jwks'), before + 1);
  // Unknown kids within the cooldown cause no further fetch.
  for (let i = 0; i < 5; i++) assert.equal((await activateVia(server, old)).json.error.code, 'licensing.oidc.signature');
  assert.equal(issuer.hits.get('/.well-known/jwks'), before + 1);
  assert.equal(issuer.hits.get('/.well-known/openid-configuration'), 1);
});

test('--oidc-issuer must be https', async () => {
  await assert.rejects(startServer({ args: ['--oidc-issuer', 'http://127.0.0.1:1'] }), /--oidc-issuer must be an https URL/);
});

test('an issuer that cannot be reached: 503 with Retry-After (retried by the entrypoint), never a crash or a pass', async () => {
  const gone = await startOidcIssuer();
  const token = await gone.sign({}, { audience: 'https://license.acme.test' });
  await gone.close();
  const other = await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--oidc-issuer', gone.url, '--oidc-audience', 'https://license.acme.test'], env: { NODE_EXTRA_CA_CERTS: gone.caFile } });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await activateVia(other, token);
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.error.code, 'licensing.oidc.issuer_unavailable');
      assert.equal(res.headers.get('retry-after'), String(OIDC.retryAfterS));
    }
    assert.equal((await api(other, 'GET', '/health')).status, 200);
  } finally {
    await other.stop();
  }
});
