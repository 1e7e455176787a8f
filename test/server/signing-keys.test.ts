import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { signLicense, verifyLicense, type Jwks } from '../../src/core/license.ts';
import { SigningKeys } from '../../src/server/signing-keys.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startApp, tempDir } from '../helpers/server.ts';
import { importJWK } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const claims = (now = Date.now()) => ({
  iss: 'http://x', aud: 'localstack-pro', sub: 'mem-1', jti: 'act-1', iat: Math.floor(now / 1000), nbf: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 86400,
  tok: 'tok', ci: false, lic: { id: 'lic', type: 'trial' as const, plan: 'trial', status: 'ACTIVE', expiresAt: '2099-01-01T00:00:00.000Z' }, ws: { id: 'ws', name: 'W' }, features: ['xray'],
});

test('the node:crypto signer gives the same compact JWS as jose, which the core verifies', async () => {
  const dir = tempDir();
  const keys = SigningKeys.load(dir, false);
  const jws = keys.sign(claims());
  assert.deepEqual(decodeProtectedHeader(jws), { alg: 'EdDSA', kid: keys.kid, typ: 'license+jwt' });
  const verified = await verifyLicense(jws, { keys: keys.jwks });
  assert.equal(verified.kid, keys.kid);
  const file = JSON.parse(readFileSync(join(dir, 'signing-keys.json'), 'utf8'));
  const viaJose = await signLicense(claims(), { privateKey: await importJWK(file.current, 'EdDSA'), kid: keys.kid });
  assert.equal(viaJose.split('.')[0], jws.split('.')[0], 'same protected header');
  assert.equal(viaJose.split('.')[2], jws.split('.')[2], 'Ed25519 is deterministic: same signature over the same input');
  const tampered = `${jws.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims(), sub: 'other' })).toString('base64url')}.${jws.split('.')[2]}`;
  await assert.rejects(verifyLicense(tampered, { keys: keys.jwks }), { code: 'license.signature' });
});

test('4 parallel rotations x5 under activation load: every key published, every license verifies, the key file agrees', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  try {
    const licenses: string[] = [];
    const kids: string[] = [];
    let rotating = true;
    const load = (async () => {
      for (let i = 0; i < 2_000 && rotating; i++) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => activateVia(s, f.ci, { ci: true })));
        for (const r of batch) {
          assert.equal(r.status, 200, r.text);
          licenses.push(r.json.license);
        }
      }
    })();
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => api(s, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN })));
      for (const a of answers) {
        assert.equal(a.status, 200);
        kids.push(a.json.kid);
      }
      await new Promise((r) => setImmediate(r));
    }
    rotating = false;
    await load;
    assert.equal(new Set(kids).size, 20, 'twenty distinct keys');
    const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks;
    const published = new Set(jwks.keys.map((k) => k.kid));
    assert.deepEqual(kids.filter((k) => !published.has(k)), []);
    assert.equal(jwks.keys.length, 21, 'the first key and the twenty new ones');
    assert.ok(licenses.length > 0);
    for (const jws of licenses) await verifyLicense(jws, { keys: jwks, credential: f.ci });
    await s.close();
    const again = await startApp({ dataDir: s.dataDir });
    assert.deepEqual(await again.keys.publicKeys(), jwks, 'the stored keys are the same');
    await again.close();
  } finally {
    await s.close().catch(() => undefined);
  }
});

test('concurrent seat assignments: the seat count holds (writes are serialised)', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  try {
    const T = { token: ADMIN_TOKEN };
    await api(s, 'PUT', '/admin/v1/workspaces/ws-acme/license', { ...T, body: { type: 'subscription', plan: 'pro', seats: 5 } });
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      api(s, 'POST', '/admin/v1/workspaces/ws-acme/members', { ...T, body: { email: `m${i}@acme.test`, role: 'member' } })));
    const seats = await Promise.all(created.map((m) => api(s, 'PUT', `/admin/v1/members/${m.json.id}/seat`, { ...T, body: { licensed: true } })));
    assert.equal(seats.filter((r) => r.status === 200).length, 3, 'two seats were taken by the seed, three were free');
    assert.ok(seats.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.json.error.code === 'license.no_seats'));
    const ws = (await api(s, 'GET', '/admin/v1/workspaces/ws-acme', T)).json;
    assert.equal(ws.members.filter((m: { licensed: boolean }) => m.licensed).length, 5);
  } finally {
    await s.close();
  }
});
