import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiryNotice } from '../../src/core/license-expiry.ts';

const now = new Date('2026-06-01T00:00:00Z');
const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000).toISOString();

test('a subscription ending within 14 days is announced, not one ending later', () => {
  assert.match(expiryNotice({ id: 'lic-1', type: 'subscription', expiresAt: inDays(10) }, now)!, /^Your license lic-1 ends in 10 days \(2026-06-11T00:00:00\.000Z\)\. Renew it/);
  assert.equal(expiryNotice({ id: 'lic-1', type: 'subscription', expiresAt: inDays(15) }, now), undefined);
});

test('a trial is announced within 3 days only', () => {
  assert.equal(expiryNotice({ id: 't', type: 'trial', expiresAt: inDays(5) }, now), undefined);
  assert.match(expiryNotice({ id: 't', type: 'trial', expiresAt: inDays(2.5) }, now)!, /^Your trial ends in 2 days/);
  assert.match(expiryNotice({ id: 't', type: 'trial', expiresAt: inDays(0.5) }, now)!, /in less than a day/);
  assert.match(expiryNotice({ id: 't', type: 'trial', expiresAt: inDays(1) }, now)!, /in 1 day /);
});

test('ended or unreadable dates say nothing (verification handles them)', () => {
  assert.equal(expiryNotice({ id: 't', type: 'trial', expiresAt: inDays(-1) }, now), undefined);
  assert.equal(expiryNotice({ id: 't', type: 'trial', expiresAt: 'never' }, now), undefined);
});
