import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attemptTimeout, nextDelay } from '../../src/entrypoint/retry-policy.ts';

const server = { connection: false, fallbackAtHand: false };

test('at most 4 attempts; backoff from ~100 ms doubling, with jitter', () => {
  assert.equal(nextDelay(server, 1, 10_000, 0), 100);
  assert.equal(nextDelay(server, 1, 10_000, 0.999), 200);
  assert.equal(nextDelay(server, 2, 10_000, 0), 200);
  assert.equal(nextDelay(server, 3, 10_000, 0), 400);
  assert.equal(nextDelay(server, 4, 10_000, 0), undefined);
});

test('Retry-After is honoured, but never past the budget', () => {
  assert.equal(nextDelay({ ...server, retryAfterMs: 1000 }, 1, 10_000, 0), 1000);
  assert.equal(nextDelay({ ...server, retryAfterMs: 0 }, 1, 10_000, 0), 100, 'never sooner than the backoff');
  assert.equal(nextDelay({ ...server, retryAfterMs: 120_000 }, 1, 10_000, 0), undefined);
  assert.equal(nextDelay(server, 1, 50, 0), undefined, 'a wait that outlasts the budget stops');
});

test('fast offline start: a missing server with a usable cache stops at once; without a cache the full policy', () => {
  assert.equal(nextDelay({ connection: true, fallbackAtHand: true }, 1, 10_000, 0), undefined);
  assert.equal(nextDelay({ connection: true, fallbackAtHand: false }, 1, 10_000, 0), 100);
  assert.equal(nextDelay({ connection: false, fallbackAtHand: true }, 1, 10_000, 0), 100, 'a 5xx with a cache still retries');
});

test('one attempt may take half of what is left, at least 1 s, never more than is left', () => {
  assert.equal(attemptTimeout(10_000), 5_000);
  assert.equal(attemptTimeout(1_500), 1_000);
  assert.equal(attemptTimeout(400), 400);
});
