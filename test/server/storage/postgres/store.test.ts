import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreError } from '../../../../src/server/errors.ts';
import { redactUrl } from '../../../../src/server/storage/postgres/backend.ts';
import { toPgStoreError } from '../../../../src/server/storage/postgres/store.ts';

test('driver and server errors become StoreErrors that the routes answer 503 with Retry-After; others pass unchanged', () => {
  const cases: [unknown, string, number][] = [
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), 'store.unavailable', 2],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'store.unavailable', 2],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), 'store.unavailable', 2],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'store.unavailable', 2],
    [new Error('Connection terminated unexpectedly'), 'store.unavailable', 2],
    [new Error('timeout exceeded when trying to connect'), 'store.unavailable', 2],
    [Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }), 'store.busy', 1],
    [Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }), 'store.full', 30],
  ];
  for (const [error, code, retryAfter] of cases) {
    const mapped = toPgStoreError(error);
    assert.ok(mapped instanceof StoreError, String(error));
    assert.equal(mapped.code, code);
    assert.equal(mapped.retryAfterS, retryAfter);
    assert.equal(mapped.cause, error, 'the driver error is kept as the cause');
  }
  const constraint = Object.assign(new Error('duplicate key'), { code: '23505' });
  assert.equal(toPgStoreError(constraint), constraint);
});

test('a database URL is printed without its password', () => {
  assert.equal(redactUrl('postgres://app:s3cret@db:5432/licenses'), 'postgres://app:****@db:5432/licenses');
  assert.equal(redactUrl('postgres://app@db/licenses'), 'postgres://app@db/licenses');
  assert.doesNotMatch(redactUrl('not a url s3cret'), /s3cret/);
});
