import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { base64url } from 'jose';
import { generateToken } from '../../src/core/credentials.ts';
import { LicenseError } from '../../src/core/errors.ts';
import { verifyLicense } from '../../src/core/license.ts';
import { claimsFor, forge, signRaw, testKey } from '../helpers/keys.ts';

// The JWS verifier under mutated headers, payloads, signatures and lengths: it accepts only the
// untouched license, and every refusal is a LicenseError with one of the contract's codes and a short message.
const RUNS = Number(process.env.FC_NUM_RUNS ?? 200);
const CODES = new Set(['license.corrupt', 'license.algorithm', 'license.unknown_key', 'license.signature', 'license.audience',
  'license.credential_mismatch', 'license.offline_expired', 'license.clock_rolled_back', 'license.inactive', 'license.wrong_type']);

const token = generateToken('developer');
const key = await testKey();
const keys = { keys: [key.jwk] };
const nowS = Math.floor(Date.now() / 1000);
const good = await forge(key, claimsFor(token, nowS - 60));
const [h, p, s] = good.split('.') as [string, string, string];

async function refusedWithCode(jws: string): Promise<void> {
  try {
    await verifyLicense(jws, { keys, credential: token });
  } catch (error) {
    assert.ok(error instanceof LicenseError, String(error));
    assert.ok(CODES.has(error.code), error.code);
    assert.ok(error.message.length < 400, error.message);
    assert.ok(!error.message.includes(token));
    return;
  }
  assert.equal(jws, good, 'only the untouched license verifies');
}

const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : JSON.stringify(v));

test('the untouched license verifies', async () => {
  await verifyLicense(good, { keys, credential: token });
});

test('mutated headers: any JSON, any alg and kid', async () => {
  const header = fc.oneof(
    fc.jsonValue(),
    fc.record({ alg: fc.oneof(fc.constantFrom('EdDSA', 'none', 'HS256', 'RS256', 'ES256'), fc.string(), fc.jsonValue()), kid: fc.oneof(fc.constant(key.kid), fc.string(), fc.jsonValue()), typ: fc.string() }, { requiredKeys: [] }),
  );
  await fc.assert(fc.asyncProperty(header, async (hdr) => refusedWithCode(`${b64(hdr)}.${p}.${s}`)), { numRuns: RUNS });
});

test('validly signed payloads of any shape: a coded refusal, never a crash', async () => {
  const payload = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(),
    fc.record({ aud: fc.jsonValue(), tok: fc.jsonValue(), iat: fc.jsonValue(), exp: fc.jsonValue(), lic: fc.jsonValue(), features: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.record({ iat: fc.double(), exp: fc.double(), lic: fc.record({ id: fc.string(), type: fc.string(), status: fc.constantFrom('ACTIVE', 'x'), expiresAt: fc.string() }) })
      .map((v) => JSON.stringify({ ...claimsFor(token, nowS), ...v })),
  );
  await fc.assert(fc.asyncProperty(payload, async (text) => refusedWithCode(await signRaw(key, text))), { numRuns: RUNS });
});

test('mutated signatures, truncations, extra parts and lengths', async () => {
  const mutation = fc.oneof(
    fc.nat({ max: good.length - 1 }).chain((i) => fc.constantFrom('A', 'B', '-', '_', '.', '=', ' ', '\n').map((c) => good.slice(0, i) + c + good.slice(i + 1))),
    fc.nat({ max: good.length }).map((n) => good.slice(0, n)),
    fc.string().map((x) => `${good}${x}`),
    fc.string({ unit: 'binary' }),
    fc.array(fc.string(), { maxLength: 6 }).map((parts) => parts.join('.')),
    fc.integer({ min: 60 * 1024, max: 200 * 1024 }).map((n) => `${h}.${'A'.repeat(n)}.${s}`),
    fc.base64String().map((sig) => `${h}.${p}.${sig.replace(/=/g, '')}`),
  );
  await fc.assert(fc.asyncProperty(mutation, refusedWithCode), { numRuns: RUNS });
});
