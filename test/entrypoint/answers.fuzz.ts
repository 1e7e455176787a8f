import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateToken } from '../../src/core/credentials.ts';
import { parseRetryAfter, readAnswer } from '../../src/entrypoint/answers.ts';
import { attemptTimeout, nextDelay } from '../../src/entrypoint/retry-policy.ts';

// The reading of answers, the Retry-After parser and the retry policy on arbitrary input.
const RUNS = Number(process.env.FC_NUM_RUNS ?? 500);
const opts = { numRuns: RUNS };
const credential = generateToken('ci');

test('Retry-After: any text is a delay of zero or more, or nothing', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()), fc.nat().map(String)), fc.integer({ min: 0, max: 4e12 }), (value, now) => {
    const ms = parseRetryAfter(value, now);
    assert.ok(ms === undefined || (Number.isFinite(ms) && ms >= 0), String(ms));
  }), opts);
});

test('any status and body: one of the three kinds; text bounded, one line, never the credential', () => {
  const message = fc.oneof(fc.string(), fc.constant(`echo Bearer ${credential}`), fc.constant(credential), fc.string({ minLength: 1000, maxLength: 5000 }));
  const body = fc.oneof(
    fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ error: fc.record({ code: fc.oneof(fc.string(), fc.constantFrom('licensing.credentials.invalid', 'licensing.license.not_found'), message), message }) }).map((v) => JSON.stringify(v)),
    fc.record({ license: fc.oneof(fc.string(), fc.jsonValue()) }).map((v) => JSON.stringify(v)),
  );
  fc.assert(fc.property(fc.integer({ min: 100, max: 599 }), body, fc.option(fc.string(), { nil: undefined }), (status, text, retryAfter) => {
    const a = readAnswer(status, text, retryAfter, Date.now(), [credential]);
    assert.ok(['license', 'refused', 'failed'].includes(a.kind));
    if (a.kind === 'license') return assert.equal(status, 200);
    const words = a.kind === 'refused' ? `${a.reason.code} ${a.reason.detail}` : a.detail;
    assert.ok(!words.includes(credential), words);
    assert.ok(!words.includes('\n'));
    assert.ok(words.length < 800, String(words.length));
    if (a.kind === 'failed') assert.ok(status === 429 || status >= 500);
  }), opts);
});

test('the policy: a delay within what is left, or stop; never more than 4 attempts', () => {
  const input = fc.record({ connection: fc.boolean(), fallbackAtHand: fc.boolean(), retryAfterMs: fc.option(fc.nat({ max: 200_000 }), { nil: undefined }) });
  fc.assert(fc.property(input, fc.integer({ min: 1, max: 10 }), fc.double({ min: -1000, max: 60_000, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failure, attempt, left, random) => {
    const d = nextDelay(failure, attempt, left, random);
    if (attempt >= 4 || (failure.connection && failure.fallbackAtHand)) assert.equal(d, undefined);
    if (d !== undefined) {
      assert.ok(d >= 0 && d < left, `${d} of ${left}`);
      if (failure.retryAfterMs !== undefined) assert.ok(d >= failure.retryAfterMs);
    }
    const t = attemptTimeout(left);
    assert.ok(t >= 1 && Number.isFinite(t));
  }), opts);
});
