import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRefreshDelay, refreshDelay } from '../../src/entrypoint/refresh.ts';

const H12 = 43_200_000;

test('refresh jitter stays within ±10 %', () => {
  assert.equal(refreshDelay(1000, 0), 900);
  assert.equal(refreshDelay(1000, 1), 1100);
  assert.equal(refreshDelay(1000, 0.5), 1000);
});

test('all well: the interval; after an offline start or failures: soon, then doubling, never past the interval', () => {
  assert.equal(nextRefreshDelay(H12, 0, 0.5), H12);
  assert.equal(nextRefreshDelay(H12, 1, 0.5), 60_000);
  assert.equal(nextRefreshDelay(H12, 2, 0.5), 120_000);
  assert.equal(nextRefreshDelay(H12, 3, 0.5), 240_000);
  assert.equal(nextRefreshDelay(H12, 20, 0.5), H12);
  assert.equal(nextRefreshDelay(H12, 10_000, 0.5), H12, 'no overflow after many failures');
  assert.equal(nextRefreshDelay(500, 1, 0.5), 500, 'a short interval stays short');
});
