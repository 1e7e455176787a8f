import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstRefreshDelay, refreshDelay } from '../../src/entrypoint/refresh.ts';

test('refresh jitter stays within ±10 %', () => {
  assert.equal(refreshDelay(1000, 0), 900);
  assert.equal(refreshDelay(1000, 1), 1100);
  assert.equal(refreshDelay(1000, 0.5), 1000);
});

test('after an offline start the first refresh comes soon, never later than the interval', () => {
  assert.equal(firstRefreshDelay(43_200_000, true, 0.5), 60_000);
  assert.equal(firstRefreshDelay(43_200_000, false, 0.5), 43_200_000);
  assert.equal(firstRefreshDelay(500, true, 0.5), 500);
});
