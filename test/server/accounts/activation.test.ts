import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PRO_FEATURES } from '../../../src/core/constants.ts';
import { PLAN_FEATURES } from '../../../src/server/constants.ts';
import { credentialBinding, generateLegacyKey, generateToken } from '../../../src/core/credentials.ts';
import { effectiveLicense, licenseStatus, type Principal } from '../../../src/server/accounts/model.ts';
import { decideActivation } from '../../../src/server/accounts/activation.ts';
import type { LicenseRow, MemberRow, WorkspaceRow } from '../../../src/server/storage/store.ts';

// The pure decisions, called directly: no store, no HTTP.

const ws: WorkspaceRow = { id: 'ws-a', name: 'A', created_at: '2026-01-01T00:00:00.000Z' };
const member = (licensed: boolean): MemberRow => ({
  id: 'mem-1', workspace_id: ws.id, email: 'a@a.test', role: 'member', licensed: licensed ? 1 : 0, token_hash: 'h', token_mask: 'm', legacy_key_hash: null,
});
const sub = (over: Partial<LicenseRow> = {}): LicenseRow => ({
  workspace_id: ws.id, id: 'lic-1', type: 'subscription', plan: 'pro', seats: 3, starts_at: '2026-01-01T00:00:00.000Z', expires_at: '2027-01-01T00:00:00.000Z', ...over,
});
const request = { product: 'localstack-pro' as const, version: '1', ci: false, ciProvider: null, machineId: 'm' };
const dev = generateToken('developer');

function decide(over: { principal?: Principal; row?: LicenseRow; now?: string; ci?: boolean; credential?: string; kind?: 'developer' | 'ci' | 'legacy'; sunsetAt?: string | null } = {}) {
  const kind = over.kind ?? 'developer';
  const principal: Principal = over.principal ?? (kind === 'ci'
    ? { kind: 'ci', id: 'ci-1', workspace: ws, ciToken: { id: 'ci-1', workspace_id: ws.id, name: 'c', token_hash: 'h', token_mask: 'm', created_at: ws.created_at } }
    : { kind, id: 'mem-1', workspace: ws, member: member(true) });
  return decideActivation({
    credential: { kind, value: over.credential ?? dev }, principal, license: effectiveLicense(ws, over.row),
    policy: { downtimes: [], sunsetAt: over.sunsetAt ?? null }, request: { ...request, ci: over.ci ?? false }, issuer: 'http://iss',
    now: new Date(over.now ?? '2026-01-05T00:00:00.000Z'),
  });
}

describe('effectiveLicense', () => {
  test('no row: a 14-day trial from the workspace creation, every Pro feature, covers every member', () => {
    const lic = effectiveLicense(ws, undefined);
    assert.deepEqual({ type: lic.type, implicit: lic.implicit, startsAt: lic.startsAt, expiresAt: lic.expiresAt },
      { type: 'trial', implicit: true, startsAt: ws.created_at, expiresAt: '2026-01-15T00:00:00.000Z' });
  });
  test('a trial row never runs longer than 14 days from its start', () => {
    const lic = effectiveLicense(ws, sub({ type: 'trial', plan: 'trial', expires_at: '2030-01-01T00:00:00.000Z' }));
    assert.equal(lic.expiresAt, '2026-01-15T00:00:00.000Z');
  });
  test('a subscription without an end runs on', () => {
    assert.equal(effectiveLicense(ws, sub({ expires_at: null })).expiresAt, '9999-12-31T00:00:00.000Z');
  });
});

describe('licenseStatus', () => {
  const lic = { startsAt: '2026-02-01T00:00:00.000Z', expiresAt: '2026-03-01T00:00:00.000Z' };
  test('pending before the start, active from the start, expired from the end on', () => {
    const at = (iso: string) => licenseStatus(lic, new Date(iso));
    assert.equal(at('2026-01-31T23:59:59.999Z'), 'PENDING');
    assert.equal(at(lic.startsAt), 'ACTIVE');
    assert.equal(at('2026-02-28T23:59:59.999Z'), 'ACTIVE');
    assert.equal(at(lic.expiresAt), 'EXPIRED');
  });
  test('the activation refuses exactly what the status calls pending or expired', () => {
    const row = sub({ starts_at: lic.startsAt, expires_at: lic.expiresAt });
    for (const [now, code] of [['2026-01-31T23:59:59.999Z', 'licensing.license.not_found'], [lic.startsAt, undefined], [lic.expiresAt, 'licensing.license.expired']] as const) {
      const status = licenseStatus(effectiveLicense(ws, row), new Date(now));
      assert.equal(status, code === undefined ? 'ACTIVE' : code.endsWith('expired') ? 'EXPIRED' : 'PENDING');
      if (code) assert.throws(() => decide({ row, now }), { code });
      else assert.equal(decide({ row, now }).lic.status, 'ACTIVE');
    }
  });
});

describe('decideActivation', () => {
  test('a licensed member gets claims bound to the credential, valid 24 h, with the plan\'s features', () => {
    const c = decide({ row: sub({ plan: 'starter' }) });
    assert.equal(c.tok, credentialBinding(dev));
    assert.equal(c.exp - c.iat, 86400);
    assert.deepEqual(c.features, [...PLAN_FEATURES.starter]);
    assert.equal(c.iat, Date.parse('2026-01-05T00:00:00.000Z') / 1000);
  });
  test('a trial has every Pro feature whatever its plan', () => {
    assert.deepEqual(decide({ row: sub({ type: 'trial', plan: 'starter' }) }).features, [...PRO_FEATURES]);
  });
  const refusals: [string, Parameters<typeof decide>[0], string][] = [
    ['a developer token in CI', { ci: true }, 'licensing.credentials.ci_token_required'],
    ['a member without a seat', { principal: { kind: 'developer', id: 'mem-1', workspace: ws, member: member(false) }, row: sub() }, 'licensing.license.not_found'],
    ['before the license starts', { row: sub({ starts_at: '2026-02-01T00:00:00.000Z' }) }, 'licensing.license.not_found'],
    ['at the instant it ends', { row: sub(), now: '2027-01-01T00:00:00.000Z' }, 'licensing.license.expired'],
    ['a legacy key after the sunset', { kind: 'legacy', credential: generateLegacyKey(), sunsetAt: '2026-01-01T00:00:00.000Z' }, 'licensing.legacy_key.sunset'],
  ];
  for (const [name, input, code] of refusals) {
    test(`${name} → ${code}`, () => assert.throws(() => decide(input), { code }));
  }
  test('a CI token in CI and an unlicensed member of an implicit trial are accepted', () => {
    assert.equal(decide({ kind: 'ci', ci: true, credential: generateToken('ci') }).ci, true);
    assert.equal(decide({ principal: { kind: 'developer', id: 'mem-1', workspace: ws, member: member(false) } }).lic.type, 'trial');
  });
});

describe('activation ids', () => {
  test('are UUIDv7 carrying the activation time, so later activations sort after earlier ones', () => {
    const at = (iso: string) => decide({ now: iso }).jti;
    const a = at('2026-01-05T00:00:00.000Z');
    const b = at('2026-01-05T00:00:00.001Z');
    assert.match(a, /^act-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(a.slice(4, 17).replace('-', ''), 16), Date.parse('2026-01-05T00:00:00.000Z'));
    assert.ok(a < b, `${a} sorts before ${b}`);
    assert.notEqual(at('2026-01-05T00:00:00.000Z'), a, 'two activations in the same millisecond get different ids');
  });
});
