import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { signLicense, verifyLicense, type Jwks } from '../../../src/core/license.ts';
import { SigningKeys } from '../../../src/server/signing/keys.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startApp, tempDir } from '../../helpers/server.ts';
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
  const jws = await keys.sign(claims());
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

test('staged rotation: the next key is published first and signs only once promoted, so a JWKS pinned in between keeps verifying', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  const T = { token: ADMIN_TOKEN };
  try {
    const first = (await api(s, 'GET', '/admin/v1/signing-keys', T)).json;
    assert.equal(first.next, null);
    const staged = await api(s, 'POST', '/admin/v1/signing-keys', T);
    assert.equal(staged.status, 201, staged.text);
    assert.equal(staged.json.current, first.current);
    assert.notEqual(staged.json.next, first.current);
    const again = await api(s, 'POST', '/admin/v1/signing-keys', T);
    assert.equal(again.status, 200, 'one staged key at a time: the same one again');
    assert.equal(again.json.next, staged.json.next);
    // An image pins the JWKS now: it holds the current and the staged key.
    const pinned = (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks;
    assert.deepEqual(pinned.keys.map((k) => k.kid).sort(), [first.current, staged.json.next].sort());
    assert.ok(pinned.keys.every((k) => !('d' in k)), 'no private part is published');
    const before = await activateVia(s, f.ci, { ci: true });
    assert.equal(decodeProtectedHeader(before.json.license).kid, first.current, 'the staged key signs nothing yet');
    const rotated = await api(s, 'POST', '/admin/v1/signing-keys/rotate', T);
    assert.equal(rotated.status, 200);
    assert.deepEqual({ kid: rotated.json.kid, promoted: rotated.json.promoted }, { kid: staged.json.next, promoted: true });
    const after = await activateVia(s, f.ci, { ci: true });
    assert.equal(decodeProtectedHeader(after.json.license).kid, staged.json.next);
    await verifyLicense(after.json.license, { keys: pinned, credential: f.ci });
    await verifyLicense(before.json.license, { keys: rotated.json.jwks, credential: f.ci });
    assert.deepEqual((await api(s, 'GET', '/admin/v1/signing-keys', T)).json, { current: staged.json.next, next: null, previous: [first.current] });
    // Without a staged key, rotate makes a new one at once, as before.
    const unstaged = (await api(s, 'POST', '/admin/v1/signing-keys/rotate', T)).json;
    assert.equal(unstaged.promoted, false);
    assert.ok(!pinned.keys.some((k) => k.kid === unstaged.kid));
  } finally {
    await s.close();
  }
});

test('a staged key survives a restart: published, not signing, still promotable', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  const staged = (await api(s, 'POST', '/admin/v1/signing-keys', { token: ADMIN_TOKEN })).json;
  await s.close();
  const again = await startApp({ dataDir: s.dataDir });
  try {
    assert.deepEqual((await api(again, 'GET', '/admin/v1/signing-keys', { token: ADMIN_TOKEN })).json, { current: staged.current, next: staged.next, previous: [] });
    assert.ok((await api(again, 'GET', '/.well-known/jwks.json')).json.keys.some((k: { kid: string }) => k.kid === staged.next));
    assert.equal(decodeProtectedHeader((await activateVia(again, f.ci, { ci: true })).json.license).kid, staged.current);
    assert.equal((await api(again, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN })).json.kid, staged.next);
  } finally {
    await again.close();
  }
});

test('stage and rotate, 4 at a time x5 under activation load: one key staged per round, each promoted once, every license verifies', async () => {
  const f = fixture();
  const s = await startApp({ seed: f.seed });
  const T = { token: ADMIN_TOKEN };
  try {
    const licenses: string[] = [];
    let running = true;
    const load = (async () => {
      for (let i = 0; i < 2_000 && running; i++) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => activateVia(s, f.ci, { ci: true })));
        for (const r of batch) {
          assert.equal(r.status, 200, r.text);
          licenses.push(r.json.license);
        }
      }
    })();
    const promotedKids: string[] = [];
    const pins = new Map<string, Jwks>();
    for (let round = 0; round < 5; round++) {
      const staged = await Promise.all(Array.from({ length: 4 }, () => api(s, 'POST', '/admin/v1/signing-keys', T)));
      assert.deepEqual(staged.map((a) => a.status).sort(), [200, 200, 200, 201], 'exactly one call stages a key');
      assert.equal(new Set(staged.map((a) => a.json.next)).size, 1, 'all answers name the same staged key');
      const next = staged[0].json.next as string;
      pins.set(next, (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks);
      const rotated = await Promise.all(Array.from({ length: 4 }, () => api(s, 'POST', '/admin/v1/signing-keys/rotate', T)));
      assert.ok(rotated.every((a) => a.status === 200));
      const promoted = rotated.filter((a) => a.json.promoted);
      assert.equal(promoted.length, 1, 'the staged key is promoted once; the other rotations make new keys');
      assert.equal(promoted[0].json.kid, next);
      promotedKids.push(next);
      await new Promise((r) => setImmediate(r));
    }
    running = false;
    await load;
    const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks;
    assert.equal(jwks.keys.length, 1 + 5 * 4, 'the first key, five staged and fifteen unstaged ones');
    assert.equal(new Set(jwks.keys.map((k) => k.kid)).size, jwks.keys.length);
    assert.ok(licenses.length > 0);
    for (const jws of licenses) {
      await verifyLicense(jws, { keys: jwks, credential: f.ci });
      const kid = decodeProtectedHeader(jws).kid!;
      // A license by a promoted key verifies against the JWKS pinned before its promotion.
      if (pins.has(kid)) await verifyLicense(jws, { keys: pins.get(kid)!, credential: f.ci });
    }
    const status = (await api(s, 'GET', '/admin/v1/signing-keys', T)).json;
    await s.close();
    const again = await startApp({ dataDir: s.dataDir });
    assert.deepEqual((await api(again, 'GET', '/admin/v1/signing-keys', T)).json, status, 'the stored keys agree');
    assert.deepEqual(promotedKids.filter((k) => !status.previous.includes(k)), []);
    await again.close();
  } finally {
    await s.close().catch(() => undefined);
  }
});
