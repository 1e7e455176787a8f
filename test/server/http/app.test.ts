import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { credentialBinding, generateToken, parseCredential } from '../../../src/core/credentials.ts';
import { verifyLicense } from '../../../src/core/license.ts';
import { consoleStoreFor } from '../../../src/server/console/index.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

const f = fixture();
let server: InProcessServer;

before(async () => {
  server = await startApp({ seed: f.seed });
});
after(async () => {
  await server.close();
});

describe('activation', () => {
  test('a licensed developer gets a JWS that verifies with the JWKS and carries the claims of section 5', async () => {
    const res = await activateVia(server, f.admin);
    assert.equal(res.status, 200);
    const jwks = (await api(server, 'GET', '/.well-known/jwks.json')).json;
    const header = decodeProtectedHeader(res.json.license);
    assert.deepEqual({ alg: header.alg, typ: header.typ }, { alg: 'EdDSA', typ: 'license+jwt' });
    const { claims } = await verifyLicense(res.json.license, { keys: jwks, credential: f.admin });
    assert.equal(claims.exp - claims.iat, 86400);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.tok, credentialBinding(f.admin));
    assert.equal(claims.aud, 'localstack-pro');
    assert.equal(claims.iss, 'http://license-server.test');
    assert.match(claims.sub, /^mem-/);
    assert.ok(!res.text.includes(f.admin), 'the credential itself is never in the license');
    assert.deepEqual(claims.ws, { id: 'ws-acme', name: 'Acme' });
    assert.equal(claims.lic.type, 'subscription');
    assert.equal(claims.lic.status, 'ACTIVE');
    assert.ok(claims.features.includes('xray'));
    await assert.rejects(verifyLicense(res.json.license, { keys: jwks, credential: f.member }), { code: 'license.credential_mismatch' });
  });

  test('jti is unique per activation', async () => {
    const a = await activateVia(server, f.member);
    const b = await activateVia(server, f.member);
    const jti = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()).jti;
    assert.notEqual(jti(a.json.license), jti(b.json.license));
  });

  test('an activation body with a field this server does not know still activates (a newer entrypoint)', async () => {
    const res = await activateVia(server, f.admin, { arch: 'arm64' });
    assert.equal(res.status, 200, res.text);
    assert.equal(typeof res.json.license, 'string');
  });

  const cases: [string, () => string, Record<string, unknown>, number, string][] = [
    ['malformed token', () => 'ls-not-a-token', {}, 400, 'licensing.credentials.format'],
    ['token with a wrong checksum', () => f.admin.slice(0, -1) + (f.admin.endsWith('a') ? 'b' : 'a'), {}, 400, 'licensing.credentials.format'],
    ['unknown token', () => generateToken('developer'), {}, 401, 'licensing.credentials.invalid'],
    ['developer token with ci: true', () => f.admin, { ci: true }, 403, 'licensing.credentials.ci_token_required'],
    ['member without a seat', () => f.unlicensed, {}, 403, 'licensing.license.not_found'],
    ['expired subscription', () => f.expired, {}, 403, 'licensing.license.expired'],
  ];
  for (const [name, token, body, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const res = await activateVia(server, token(), body);
      assert.equal(res.status, status);
      assert.equal(res.json.error.code, code);
      assert.equal(typeof res.json.error.message, 'string');
    });
  }

  test('no Authorization header → 401', async () => {
    const res = await api(server, 'POST', '/v1/license/activate', { body: { product: 'localstack-pro', version: '1', ci: false } });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'licensing.credentials.invalid');
  });

  test('a CI token activates with ci: true; a legacy key and an auth token in its place work', async () => {
    const ci = await activateVia(server, f.ci, { ci: true, ciProvider: 'GitHub Actions' });
    assert.equal(ci.status, 200);
    assert.equal(JSON.parse(Buffer.from(ci.json.license.split('.')[1], 'base64url').toString()).ci, true);
    assert.equal((await activateVia(server, f.legacy)).status, 200);
  });

  test('activations are recorded for the workspace (who, when, ci, version)', async () => {
    await activateVia(server, f.ci, { ci: true, ciProvider: 'GitLab CI', version: '9.9.9' });
    const res = await api(server, 'GET', '/admin/v1/workspaces/ws-acme/activations', { token: ADMIN_TOKEN });
    const row = res.json.activations.find((a: { version: string }) => a.version === '9.9.9');
    assert.ok(row);
    assert.equal(row.ci, true);
    assert.equal(row.ciProvider, 'GitLab CI');
    assert.match(row.subject, /^ci-/);
  });
});

describe('self-service API', () => {
  test('GET /v1/me describes the caller', async () => {
    const res = await api(server, 'GET', '/v1/me', { token: f.member });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { email: 'dev@acme.test', role: 'member', workspace: { id: 'ws-acme', name: 'Acme' }, license: { type: 'subscription', plan: 'pro', status: 'ACTIVE', expiresAt: '2099-01-01T00:00:00.000Z' } });
    const unlicensed = await api(server, 'GET', '/v1/me', { token: f.unlicensed });
    assert.equal(unlicensed.json.license, null);
    assert.equal((await api(server, 'GET', '/v1/me', { token: f.ci })).status, 401);
  });

  test('rotating my token: the new one works, the old one is refused at once', async () => {
    const ff = fixture();
    const s = await startApp({ seed: ff.seed });
    try {
      const rotated = await api(s, 'POST', '/v1/me/auth-token/rotate', { token: ff.member });
      assert.equal(rotated.status, 200);
      const fresh = rotated.json.authToken as string;
      assert.equal(parseCredential(fresh).kind, 'developer');
      assert.notEqual(fresh, ff.member);
      assert.equal((await activateVia(s, ff.member)).status, 401);
      assert.equal((await activateVia(s, fresh)).status, 200);
    } finally {
      await s.close();
    }
  });

  test('CI tokens: an admin creates, lists (masked), rotates and deletes; a member gets 403 permission.denied', async () => {
    const created = await api(server, 'POST', '/v1/ci-tokens', { token: f.admin, body: { name: 'gitlab' } });
    assert.equal(created.status, 201);
    const { id, token } = created.json;
    assert.equal(parseCredential(token).kind, 'ci');
    assert.equal((await activateVia(server, token, { ci: true })).status, 200);

    const listed = await api(server, 'GET', '/v1/ci-tokens', { token: f.admin });
    const entry = listed.json.ciTokens.find((t: { id: string }) => t.id === id);
    assert.equal(entry.name, 'gitlab');
    assert.ok(!listed.text.includes(token), 'listing never shows a full token');
    assert.match(entry.token, /^lsci-.{1,4}…$/);

    const rotated = await api(server, 'POST', `/v1/ci-tokens/${id}/rotate`, { token: f.admin });
    assert.equal(rotated.status, 200);
    assert.equal((await activateVia(server, token, { ci: true })).status, 401);
    assert.equal((await activateVia(server, rotated.json.token, { ci: true })).status, 200);

    for (const [method, path, body] of [['GET', '/v1/ci-tokens'], ['POST', '/v1/ci-tokens', { name: 'x' }], ['POST', `/v1/ci-tokens/${id}/rotate`], ['DELETE', `/v1/ci-tokens/${id}`]] as const) {
      const denied = await api(server, method, path, { token: f.member, body });
      assert.equal(denied.status, 403, `${method} ${path}`);
      assert.equal(denied.json.error.code, 'permission.denied');
    }
    assert.equal((await api(server, 'DELETE', `/v1/ci-tokens/${id}`, { token: f.admin })).status, 204);
    assert.equal((await activateVia(server, rotated.json.token, { ci: true })).status, 401);
    assert.equal((await api(server, 'DELETE', `/v1/ci-tokens/${id}`, { token: f.admin })).status, 404);
  });
});

describe('admin API, seats, trials, legacy policy', () => {
  test('is disabled without ADMIN_TOKEN and refuses a wrong token (the admin API and the console\'s invitation alike)', async () => {
    const adminPaths: [string, string, number][] = [['GET', '/admin/v1/workspaces', 200]];
    // The console (and its invitation route) runs on a backend with console storage only.
    if (consoleStoreFor(server.store)) adminPaths.push(['POST', '/admin/v1/members/mem-none/invitation', 404]);
    for (const [method, path, allowed] of adminPaths) {
      for (const token of ['wrong', undefined, `${ADMIN_TOKEN}x`]) {
        const res = await api(server, method, path, { token });
        assert.equal(res.status, 401, `${path} with ${token}`);
        assert.equal(res.json.error.code, 'auth.invalid');
      }
      assert.equal((await api(server, method, path, { token: ` "${ADMIN_TOKEN}" ` })).status, allowed, `${path}: the token is normalised as every credential`);
    }
    const s = await startApp({ adminToken: null });
    try {
      for (const [method, path] of adminPaths) {
        const res = await api(s, method, path, { token: 'anything' });
        assert.equal(res.status, 403, path);
        assert.equal(res.json.error.code, 'admin.disabled');
      }
    } finally {
      await s.close();
    }
  });

  test('a new workspace gets a 14-day trial with every Pro feature; it expires on day 14 (injected clock)', async () => {
    const now = '2026-03-01T00:00:00.000Z';
    const s = await startApp({ now });
    try {
      assert.equal((await api(s, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, body: { id: 'ws-t', name: 'Trial Co' } })).status, 201);
      const m = await api(s, 'POST', '/admin/v1/workspaces/ws-t/members', { token: ADMIN_TOKEN, body: { email: 't@t.test', role: 'owner' } });
      assert.equal(m.status, 201);
      const res = await activateVia(s, m.json.authToken);
      assert.equal(res.status, 200);
      const claims = JSON.parse(Buffer.from(res.json.license.split('.')[1], 'base64url').toString());
      assert.equal(claims.lic.type, 'trial');
      assert.match(claims.lic.expiresAt, /^2026-03-15T00:00:0\d\.\d{3}Z$/, 'creation + 14 days');
      assert.ok(claims.features.includes('xray') && claims.features.includes('appsync'));
    } finally {
      await s.close();
    }
    // The injected clock runs on from its start: the workspace was made within the first seconds (the regex above), so 30 s later it has ended.
    const later = await startApp({ dataDir: s.dataDir, now: '2026-03-15T00:00:30.000Z' });
    try {
      const tokens = await api(later, 'POST', '/admin/v1/workspaces/ws-t/ci-tokens', { token: ADMIN_TOKEN, body: { name: 'ci' } });
      const res = await activateVia(later, tokens.json.token, { ci: true });
      assert.equal(res.status, 403);
      assert.equal(res.json.error.code, 'licensing.license.expired');
    } finally {
      await later.close();
    }
  });

  test('seats: assigning beyond the seat count is refused; a freed seat can be reassigned', async () => {
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
    const byEmail = (e: string) => ws.members.find((m: { email: string }) => m.email === e);
    assert.ok(!JSON.stringify(ws).includes(f.admin), 'the admin view masks tokens');
    const full = await api(server, 'PUT', `/admin/v1/members/${byEmail('new@acme.test').id}/seat`, { token: ADMIN_TOKEN, body: { licensed: true } });
    assert.equal(full.status, 409);
    assert.equal(full.json.error.code, 'license.no_seats');
    assert.equal((await api(server, 'PUT', `/admin/v1/members/${byEmail('dev@acme.test').id}/seat`, { token: ADMIN_TOKEN, body: { licensed: false } })).status, 200);
    assert.equal((await api(server, 'PUT', `/admin/v1/members/${byEmail('new@acme.test').id}/seat`, { token: ADMIN_TOKEN, body: { licensed: true } })).status, 200);
    assert.equal((await activateVia(server, f.unlicensed)).status, 200);
    assert.equal((await activateVia(server, f.member)).json.error.code, 'licensing.license.not_found');
    // Put things back for the other tests.
    await api(server, 'PUT', `/admin/v1/members/${byEmail('new@acme.test').id}/seat`, { token: ADMIN_TOKEN, body: { licensed: false } });
    await api(server, 'PUT', `/admin/v1/members/${byEmail('dev@acme.test').id}/seat`, { token: ADMIN_TOKEN, body: { licensed: true } });
  });

  test('legacy keys: refused inside a downtime window (message says until when) and after the sunset; auth tokens unaffected', async () => {
    const ff = fixture();
    const s = await startApp({ seed: ff.seed });
    try {
      const end = new Date(Date.now() + 3600_000).toISOString();
      await api(s, 'PUT', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN, body: { downtimes: [{ start: new Date(Date.now() - 60_000).toISOString(), end }], sunsetAt: null } });
      const down = await activateVia(s, ff.legacy);
      assert.equal(down.status, 403);
      assert.equal(down.json.error.code, 'licensing.legacy_key.downtime');
      assert.ok(down.json.error.message.includes(end));
      await api(s, 'PUT', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN, body: { downtimes: [], sunsetAt: new Date(Date.now() - 1000).toISOString() } });
      const sunset = await activateVia(s, ff.legacy);
      assert.equal(sunset.status, 403);
      assert.equal(sunset.json.error.code, 'licensing.legacy_key.sunset');
      assert.equal((await activateVia(s, ff.member)).status, 200);
      assert.equal((await activateVia(s, ff.ci, { ci: true })).status, 200);
    } finally {
      await s.close();
    }
  });

  test('admin: create workspace and member, rotate a developer token, give a legacy key, set and end a license', async () => {
    const s = await startApp();
    try {
      const T = { token: ADMIN_TOKEN };
      await api(s, 'POST', '/admin/v1/workspaces', { ...T, body: { id: 'ws-x', name: 'X' } });
      const m = (await api(s, 'POST', '/admin/v1/workspaces/ws-x/members', { ...T, body: { email: 'x@x.test', role: 'admin', licensed: true } })).json;
      const lic = await api(s, 'PUT', '/admin/v1/workspaces/ws-x/license', { ...T, body: { type: 'subscription', plan: 'starter', seats: 3, expiresAt: '2099-01-01T00:00:00Z' } });
      assert.equal(lic.status, 200);
      const ok = await activateVia(s, m.authToken);
      const claims = JSON.parse(Buffer.from(ok.json.license.split('.')[1], 'base64url').toString());
      assert.equal(claims.lic.plan, 'starter');
      assert.ok(!claims.features.includes('ecs'), 'a starter plan has fewer features');
      const rotated = (await api(s, 'POST', `/admin/v1/members/${m.id}/auth-token/rotate`, T)).json.authToken;
      assert.equal((await activateVia(s, m.authToken)).status, 401);
      const key = (await api(s, 'POST', `/admin/v1/members/${m.id}/legacy-key`, T)).json.legacyApiKey;
      assert.equal(parseCredential(key).kind, 'legacy');
      assert.equal((await activateVia(s, key)).status, 200);
      assert.equal((await api(s, 'DELETE', '/admin/v1/workspaces/ws-x/license', T)).status, 200);
      assert.equal((await activateVia(s, rotated)).json.error.code, 'licensing.license.expired');
    } finally {
      await s.close();
    }
  });
});

describe('robustness', () => {
  test('malformed JSON → 400, body over 64 KiB → 413, unknown route → 404, wrong method → 405, all in the error shape', async () => {
    const bad = await api(server, 'POST', '/v1/license/activate', { token: f.admin, raw: '{"product": ' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'request.malformed_json');
    const big = await api(server, 'POST', '/v1/license/activate', { token: f.admin, raw: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'request.too_large');
    const missing = await api(server, 'GET', '/v1/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'request.not_found');
    const method = await api(server, 'GET', '/v1/license/activate');
    assert.equal(method.status, 405);
    assert.equal(method.json.error.code, 'request.method_not_allowed');
    assert.equal(method.headers.get('allow'), 'POST');
    const invalid = await api(server, 'POST', '/v1/license/activate', { token: f.admin, body: { product: 'other', version: '1', ci: false } });
    assert.equal(invalid.status, 400);
    assert.equal((await api(server, 'GET', '/health')).json.status, 'ok');
  });

  test('rate limit per credential: 429 with Retry-After', async () => {
    const ff = fixture();
    const s = await startApp({ seed: ff.seed, rateLimit: 3 });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await activateVia(s, ff.admin)).status, 200);
      const limited = await activateVia(s, ff.admin);
      assert.equal(limited.status, 429);
      assert.equal(limited.json.error.code, 'licensing.rate_limited');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal((await activateVia(s, ff.member)).status, 200, 'another credential is not limited');
    } finally {
      await s.close();
    }
  });

  test('key rotation keeps the previous public key so issued licenses still verify', async () => {
    const ff = fixture();
    const s = await startApp({ seed: ff.seed });
    try {
      const before = (await activateVia(s, ff.admin)).json.license;
      const rotated = await api(s, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN });
      assert.equal(rotated.status, 200);
      const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json;
      assert.equal(jwks.keys.length, 2);
      const afterJws = (await activateVia(s, ff.admin)).json.license;
      assert.equal(decodeProtectedHeader(afterJws).kid, rotated.json.kid);
      await verifyLicense(before, { keys: jwks, credential: ff.admin });
      await verifyLicense(afterJws, { keys: jwks, credential: ff.admin });
    } finally {
      await s.close();
    }
  });
});


describe('seeded trials', () => {
  test('a seeded trial without a plan is accepted and activates with every Pro feature', async () => {
    const token = fixture().admin;
    const s = await startApp({
      seed: { workspaces: [{ id: 'ws-t', name: 'Trial', license: { type: 'trial' }, members: [{ email: 't@t.test', role: 'owner', licensed: true, authToken: token }] }] },
    });
    try {
      const res = await activateVia(s, token);
      assert.equal(res.status, 200, res.text);
      const claims = JSON.parse(Buffer.from(res.json.license.split('.')[1], 'base64url').toString());
      assert.equal(claims.lic.type, 'trial');
      assert.ok(claims.features.includes('xray') && claims.features.includes('athena'));
    } finally {
      await s.close();
    }
  });
});
