import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { base64url } from 'jose';
import { generateToken } from '../../src/core/credentials.ts';
import { verifyLicense, verifyLicenseFile } from '../../src/core/license.ts';
import { claimsFor, forge, signRaw, testKey } from '../helpers/keys.ts';
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
    await verifyLicenseFile(join(dir, 'license.json'), { keys: join(dir, 'jwks.json'), credential: token, now });
    await verifyLicenseFile(join(dir, 'bare.jws'), { keys, credential: token, now });
  });

  test('text is never taken for a path: a JWS verifier given a path refuses it as not a JWS', async () => {
    const dir = tempDir();
    const path = join(dir, 'license.json');
    writeFileSync(path, JSON.stringify({ format: 1, license: good, activatedAt: 'x', endpoint: 'y' }));
    await assert.rejects(verifyLicense(path, { keys, credential: token, now }), { code: 'license.corrupt' });
  });

  test('a 300 MB license string is refused at once, and its text is not echoed', async () => {
    const huge = `${h}.${'A'.repeat(300 * 1024 * 1024)}.${s}`;
    await assert.rejects(verifyLicense(huge, { keys, credential: token, now }), (error: { code: string; message: string }) => {
      assert.equal(error.code, 'license.corrupt');
      assert.ok(error.message.length < 200, 'the message is short');
      return true;
    });
  });

  test('a 600 MB license file is not read whole', async () => {
    const dir = tempDir();
    const path = join(dir, 'license.json');
    const { openSync, ftruncateSync, closeSync } = await import('node:fs');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 600 * 1024 * 1024); // sparse: no disk used
    closeSync(fd);
    const before = process.memoryUsage().rss;
    await assert.rejects(verifyLicenseFile(path, { keys, credential: token, now }), { code: 'license.too_large' });
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'memory did not grow by the file');
  });

  test('a validly signed payload that is not a license is a coded failure, never a crash', async () => {
    for (const payload of ['null', '[]', '42', '"text"', 'true', '{}', '{"aud":"localstack-pro"}', '{"aud":"localstack-pro","tok":"x","iat":1,"exp":"soon","lic":{}}', 'not json']) {
      await assert.rejects(verifyLicense(await signRaw(key, payload), { keys, credential: token, now }), { code: 'license.corrupt' }, payload);
    }
  });

  test('a forged header field is bounded and masked in the message', async () => {
    const kid = `ls-${'X'.repeat(8)}-secret-${'y'.repeat(5000)}`;
    await assert.rejects(verifyLicense(`${header({ alg: 'EdDSA', kid })}.${p}.${s}`, { keys, now }), (error: { code: string; message: string }) => {
      assert.equal(error.code, 'license.unknown_key');
      assert.ok(error.message.length < 200, error.message);
      assert.ok(!error.message.includes('XXXXXXXX-secret'), error.message);
      return true;
    });
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
    ['not a JWS at all', () => 'garbage', 'license.corrupt'],
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
    await assert.rejects(verifyLicenseFile(join(dir, 'license.json'), { keys, now }), { code: 'license.corrupt' });
    await assert.rejects(verifyLicenseFile(join(dir, 'absent.json'), { keys, now }), { code: 'license.unreadable' });
  });
});

test('a header whose alg is an object that cannot become a string is license.algorithm, not a TypeError (fuzz counterexample)', async () => {
  const header = Buffer.from(JSON.stringify({ alg: [{ toString: null }], kid: 'k' })).toString('base64url');
  const jws = `${header}.${Buffer.from('{}').toString('base64url')}.AAAA`;
  await assert.rejects(verifyLicense(jws, { keys: { keys: [] } }), { code: 'license.algorithm', message: /signed with \[\{"toString":null\}\]/ });
});
