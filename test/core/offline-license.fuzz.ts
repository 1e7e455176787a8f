import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateToken } from '../../src/core/credentials.ts';
import { LicenseError } from '../../src/core/errors.ts';
import { verifyLicense } from '../../src/core/license.ts';
import { verifyOfflineLicense } from '../../src/core/offline-license.ts';
import { claimsFor, forge, forgeOffline, offlineClaimsFor, signRaw, testKey } from '../helpers/keys.ts';

// No confusion between the two license kinds: whatever a trusted key signs (any mix of the two kinds' claims,
// any header type), at most one verifier accepts it, and the one that does is the one both its header and its
// claim name. Every refusal is a LicenseError.
const RUNS = Number(process.env.FC_NUM_RUNS ?? 200);
const key = await testKey();
const keys = { keys: [key.jwk] };
const nowS = Math.floor(Date.now() / 1000);
const token = generateToken('developer');
const daily = claimsFor(token, nowS - 60) as unknown as Record<string, unknown>;
const offline = offlineClaimsFor(nowS - 60) as unknown as Record<string, unknown>;
const NAMES = [...new Set([...Object.keys(daily), ...Object.keys(offline)])];

async function outcome(p: Promise<unknown>): Promise<'ok' | string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof LicenseError, String(error));
    return error.code;
  }
}

/** Both verifiers on one signed text; asserts the property and returns which accepted. */
async function judge(jws: string, typ: unknown, payload: Record<string, unknown>): Promise<'daily' | 'offline' | 'none'> {
  const asDaily = await outcome(verifyLicense(jws, { keys, credential: token }));
  const asDailyNoCredential = await outcome(verifyLicense(jws, { keys }));
  const asOffline = await outcome(verifyOfflineLicense(jws, { keys }));
  assert.ok(!(asOffline === 'ok' && (asDaily === 'ok' || asDailyNoCredential === 'ok')), 'accepted as both kinds');
  if (asDaily === 'ok' || asDailyNoCredential === 'ok') {
    assert.equal(typ, 'license+jwt');
    assert.equal(payload.use, undefined);
  }
  if (asOffline === 'ok') {
    assert.equal(typ, 'offline-license+jwt');
    assert.equal(payload.use, 'offline-installation');
  }
  return asOffline === 'ok' ? 'offline' : asDaily === 'ok' || asDailyNoCredential === 'ok' ? 'daily' : 'none';
}

const typ = fc.oneof(fc.constantFrom('license+jwt', 'offline-license+jwt', 'JWT', 'license+JWT', undefined), fc.string());
/** For each claim name: the 24-hour value, the offline value, gone, or anything. */
const mixed = fc.record(Object.fromEntries(NAMES.map((n) => [n, fc.oneof(
  fc.constant({ from: 'daily' as const }), fc.constant({ from: 'offline' as const }), fc.constant({ from: 'none' as const }),
  fc.jsonValue().map((value) => ({ from: 'any' as const, value })),
)])));
const useValue = fc.oneof(fc.constantFrom(undefined, 'offline-installation', 'online', 'offline', ''), fc.jsonValue());

function build(choice: Record<string, { from: 'daily' | 'offline' | 'none' | 'any'; value?: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(choice)) {
    if (c.from === 'daily' && name in daily) out[name] = daily[name];
    if (c.from === 'offline' && name in offline) out[name] = offline[name];
    if (c.from === 'any') out[name] = c.value;
  }
  return out;
}

test('any mix of the two kinds\' claims under any header type: never both, and only the kind header and claim both name', async () => {
  await fc.assert(fc.asyncProperty(typ, mixed, useValue, async (t, choice, use) => {
    const payload = build(choice);
    if (use === undefined) delete payload.use;
    else payload.use = use;
    const jws = await signRaw(key, JSON.stringify(payload), { typ: t });
    await judge(jws, t, payload);
  }), { numRuns: RUNS });
});

test('a whole license of either kind with one claim changed, removed or added: never taken for the other kind', async () => {
  const seen = { daily: 0, offline: 0, none: 0 };
  // 'own': the header type of the license's own kind.
  const change = fc.record({ kind: fc.constantFrom('daily', 'offline'), name: fc.constantFrom(...NAMES, 'use', 'typ', 'kind'), op: fc.constantFrom('set', 'delete'), value: fc.jsonValue(), typ: fc.oneof(fc.constant('own'), typ) });
  await fc.assert(fc.asyncProperty(change, async ({ kind, name, op, value, typ: chosen }) => {
    const t = chosen === 'own' ? (kind === 'daily' ? 'license+jwt' : 'offline-license+jwt') : chosen;
    const payload = { ...(kind === 'daily' ? daily : offline) };
    if (op === 'delete') delete payload[name];
    else payload[name] = value;
    seen[await judge(await signRaw(key, JSON.stringify(payload), { typ: t }), t, payload)] += 1;
  }), { numRuns: RUNS, examples: [[{ kind: 'daily', name: 'kind', op: 'set', value: 1, typ: 'own' }], [{ kind: 'offline', name: 'kind', op: 'set', value: 1, typ: 'own' }]] });
  // The property is not vacuous: licenses of both kinds that survive a harmless change are accepted, as their own kind.
  assert.ok(seen.daily > 0 && seen.offline > 0, JSON.stringify(seen));
});

test('a genuine license of each kind, at any time and with any credential: refused by the other verifier as license.wrong_type', async () => {
  const realDaily = await forge(key, claimsFor(token, nowS - 60));
  const realOffline = await forgeOffline(key, offlineClaimsFor(nowS - 60));
  await fc.assert(fc.asyncProperty(fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }), fc.boolean(), async (shift, withCredential) => {
    const now = (nowS + shift) * 1000;
    assert.equal(await outcome(verifyOfflineLicense(realDaily, { keys, now })), 'license.wrong_type');
    assert.equal(await outcome(verifyLicense(realOffline, { keys, now, credential: withCredential ? token : undefined })), 'license.wrong_type');
  }), { numRuns: RUNS });
});
