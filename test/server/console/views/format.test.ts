import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daysLeft, plural, when } from '../../../../src/server/console/views/format.ts';

test('trial days left round up, and never go below zero', () => {
  const start = new Date('2026-03-01T10:00:00Z');
  assert.equal(daysLeft('2026-03-15T10:00:00.000Z', start), 14);
  assert.equal(daysLeft('2026-03-15T10:00:00.000Z', new Date('2026-03-15T07:00:00Z')), 1, '3 hours left is a day left');
  assert.equal(daysLeft('2026-03-15T10:00:00.000Z', new Date('2026-03-15T10:00:00Z')), 0);
  assert.equal(daysLeft('2026-03-15T10:00:00.000Z', new Date('2026-04-01T00:00:00Z')), 0);
});

test('times read the same for everyone (UTC), counts agree with their noun', () => {
  assert.equal(when('2026-03-01T10:05:59.123Z'), '2026-03-01 10:05 UTC');
  assert.equal(when(null), '—');
  assert.deepEqual([plural(1, 'seat'), plural(2, 'seat'), plural(0, 'day')], ['1 seat', '2 seats', '0 days']);
});
