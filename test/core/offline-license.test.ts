import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { LicenseError } from '../../src/core/errors.ts';
import { verifyLicense } from '../../src/core/license.ts';
import { offlineLicenseFileText, verifyOfflineLicense } from '../../src/core/offline-license.ts';
import { claimsFor, forge, forgeOffline, offlineClaimsFor, signRaw, testKey } from '../helpers/keys.ts';

const key = await testKey();
const other = await testKey();
const keys = { keys: [key.jwk] };
const nowS = Math.floor(Date.now() / 1000);
const token = generateToken('developer');

async function refusal(promise: Promise<unknown>): Promise<LicenseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LicenseError, String(error));
    return error;
  }
  assert.fail('accepted');
}

test('an offline license verifies with no credential, and says what it is', async () => {
  const jws = await forgeOffline(key, offlineClaimsFor(nowS - 60));
  const { claims, kid } = await verifyOfflineLicense(jws, { keys });
  assert.equal(kid, key.kid);
  assert.equal(claims.use, 'offline-installation');
  assert.equal(claims.installation, 'build-farm-1');
  assert.equal(claims.seats, 2);
});

test('neither kind passes for the other: each verifier refuses the other kind as license.wrong_type', async () => {
  const offline = await forgeOffline(key, offlineClaimsFor(nowS - 60));
  const daily = await forge(key, claimsFor(token, nowS - 60));
  const asDaily = await refusal(verifyLicense(offline, { keys, credential: token }));
  assert.equal(asDaily.code, 'license.wrong_type');
  assert.match(asDaily.message, /offline license/);
  assert.equal((await refusal(verifyLicense(offline, { keys }))).code, 'license.wrong_type');
  const asOffline = await refusal(verifyOfflineLicense(daily, { keys }));
  assert.equal(asOffline.code, 'license.wrong_type');
  assert.match(asOffline.message, /24-hour activation license/);
});

test('the header alone or the claim alone is not enough: both must say offline', async () => {
  const offlineClaims = offlineClaimsFor(nowS - 60);
  const offlineBody24hHeader = await signRaw(key, JSON.stringify(offlineClaims));
  assert.equal((await refusal(verifyOfflineLicense(offlineBody24hHeader, { keys }))).code, 'license.wrong_type');
  assert.equal((await refusal(verifyLicense(offlineBody24hHeader, { keys }))).code, 'license.wrong_type');
  const dailyBodyOfflineHeader = await signRaw(key, JSON.stringify(claimsFor(token, nowS - 60)), { typ: 'offline-license+jwt' });
  assert.equal((await refusal(verifyOfflineLicense(dailyBodyOfflineHeader, { keys }))).code, 'license.wrong_type');
  assert.equal((await refusal(verifyLicense(dailyBodyOfflineHeader, { keys, credential: token }))).code, 'license.wrong_type');
  const dailyWithUse = await signRaw(key, JSON.stringify({ ...claimsFor(token, nowS - 60), use: 'offline-installation' }));
  assert.equal((await refusal(verifyLicense(dailyWithUse, { keys, credential: token }))).code, 'license.wrong_type');
});

test('after its expiry, before its start, by an untrusted key, or altered: each its own code', async () => {
  const expired = await forgeOffline(key, offlineClaimsFor(nowS - 10 * 86_400, 5));
  const e = await refusal(verifyOfflineLicense(expired, { keys }));
  assert.equal(e.code, 'license.expired');
  assert.match(e.message, /build-farm-1/);
  const early = await forgeOffline(key, offlineClaimsFor(nowS + 3600));
  assert.equal((await refusal(verifyOfflineLicense(early, { keys }))).code, 'license.not_yet_valid');
  const foreign = await forgeOffline(other, offlineClaimsFor(nowS - 60));
  assert.equal((await refusal(verifyOfflineLicense(foreign, { keys }))).code, 'license.unknown_key');
  const good = await forgeOffline(key, offlineClaimsFor(nowS - 60));
  const [h, p, s] = good.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const altered = `${h}.${Buffer.from(JSON.stringify({ ...payload, seats: 200 })).toString('base64url')}.${s}`;
  assert.equal((await refusal(verifyOfflineLicense(altered, { keys }))).code, 'license.signature');
});

test('the issued file reads back as the license it holds', async () => {
  const claims = offlineClaimsFor(nowS - 60);
  const jws = await forgeOffline(key, claims);
  const text = offlineLicenseFileText(jws, claims);
  assert.equal(JSON.parse(text).license, jws);
  assert.match(text, /build-farm-1/);
});
