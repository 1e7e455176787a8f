import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTime } from '../../src/core/iso-time.ts';

test('isoTime gives toISOString\'s string for every representable instant', () => {
  // The whole Date range: four-digit years by the UTC getters, the rest (±YYYYYY) by toISOString itself.
  fc.assert(fc.property(fc.oneof(fc.integer({ min: -62167219200000, max: 253402300799999 }), fc.integer({ min: -8.64e15, max: 8.64e15 })), (ms) => {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
    assert.equal(isoTime(new Date(ms)), new Date(ms).toISOString());
  }), { numRuns: 5000 });
  for (const ms of [0, -1, 253402300799999, 253402300800000, -62167219200000, -62167219200001, Date.UTC(2024, 1, 29, 23, 59, 59, 7)]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test('isoTime of an invalid date throws the RangeError toISOString throws', () => {
  assert.throws(() => isoTime(new Date(Number.NaN)), RangeError);
  assert.throws(() => isoTime(8.64e15 + 1), RangeError);
});
