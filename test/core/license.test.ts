import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { base64url } from 'jose';
import { generateToken } from '../../src/core/credentials.ts';
import { verifyLicense } from '../../src/core/license.ts';
import { claimsFor, forge, testKey } from '../helpers/keys.ts';
import { tempDir } from '../helpers/server.ts';

const token = generateToken('developer');
const now = Date.parse('2026-06-01T12:00:00Z');
const nowS = now / 1000;

describe('verifyLicense', async () => {
  const key = await testKey();
  const other = await testKey();
  const keys = { keys: [key.jwk] };
  const good = await forge(key, claimsFor(token, nowS - 60));

  test('a good license verifies and returns its claims', async () => {
    const { claims, kid } = await verifyLicense(good, { keys, credential: token, now });
    assert.equal(kid, key.kid);
    assert.equal(claims.lic.id, 'lic-test');
  });

  test('reads a cache file, a bare JWS file, and a JWKS file path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'license.json'), JSON.stringify({ format: 1, license: good, activatedAt: 'x', endpoint: 'y' }));
    writeFileSync(join(dir, 'bare.jws'), `${good}\n`);
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(keys));
    await verifyLicense(join(dir, 'license.json'), { keys: join(dir, 'jwks.json'), credential: token, now });
    await verifyLicense(join(dir, 'bare.jws'), { keys, credential: token, now });
  });

  const [h, p, s] = good.split('.');
  const header = (obj: object) => base64url.encode(JSON.stringify(obj));
  const cases: [string, () => Promise<string> | string, string][] = [
    ['alg none is rejected before anything else', () => `${header({ alg: 'none', kid: key.kid })}.${p}.`, 'license.algorithm'],
    ['alg HS256 is rejected before anything else', () => `${header({ alg: 'HS256', kid: 'nope' })}.${p}.${s}`, 'license.algorithm'],
    ['an unknown kid', () => forge(other, claimsFor(token, nowS)), 'license.unknown_key'],
    ['a tampered payload', () => `${h}.${base64url.encode(JSON.stringify({ ...claimsFor(token, nowS), features: ['everything'] }))}.${s}`, 'license.signature'],
    ['a wrong audience', () => forge(key, claimsFor(token, nowS, { aud: 'other-product' })), 'license.audience'],
    ['another credential', () => forge(key, claimsFor(generateToken('developer'), nowS)), 'license.credential_mismatch'],
    ['older than 24 h', () => forge(key, claimsFor(token, nowS - 86_400)), 'license.offline_expired'],
    ['issued more than 300 s in the future (clock rolled back)', () => forge(key, claimsFor(token, nowS + 301, { exp: nowS + 90_000 })), 'license.clock_rolled_back'],
    ['a license that ended', () => forge(key, claimsFor(token, nowS, { lic: { id: 'l', type: 'trial', plan: 'trial', status: 'ACTIVE', expiresAt: '2026-05-01T00:00:00Z' } })), 'license.inactive'],
    ['a status other than ACTIVE', () => forge(key, claimsFor(token, nowS, { lic: { id: 'l', type: 'trial', plan: 'trial', status: 'SUSPENDED', expiresAt: '2099-05-01T00:00:00Z' } })), 'license.inactive'],
    ['not a JWS at all', () => 'garbage', 'license.unreadable'],
  ];
  for (const [name, make, code] of cases) {
    test(`${name} → ${code}`, async () => {
      await assert.rejects(verifyLicense(await make(), { keys, credential: token, now }), (error: { code: string }) => {
        assert.equal(error.code, code);
        return true;
      });
    });
  }

  test('300 s of clock skew is tolerated', async () => {
    await verifyLicense(await forge(key, claimsFor(token, nowS + 299)), { keys, credential: token, now });
  });

  test('a corrupt cache file is a coded error, not a crash', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'license.json'), '{"format": 1, "lic');
    await assert.rejects(verifyLicense(join(dir, 'license.json'), { keys, now }), { code: 'license.corrupt' });
  });
});
