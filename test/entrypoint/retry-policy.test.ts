import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAnswer, describeNetworkError, isTlsError, parseRetryAfter } from '../../src/entrypoint/retry-policy.ts';
import { refreshDelay } from '../../src/entrypoint/refresh.ts';

const err = (code: string, message = 'x') => ({ error: { code, message } });

test('section 4: each answer maps to its reaction', () => {
  assert.deepEqual(classifyAnswer(200, { license: 'a.b.c' }, undefined, 0), { kind: 'license', jws: 'a.b.c' });
  assert.equal(classifyAnswer(200, {}, undefined, 0).kind, 'definitive');
  const definitive: [number, string, string][] = [
    [400, 'licensing.credentials.format', 'credentials.malformed'],
    [401, 'licensing.credentials.invalid', 'credentials.invalid'],
    [403, 'licensing.credentials.ci_token_required', 'credentials.ci_token_required'],
    [403, 'licensing.license.not_found', 'license.not_found'],
    [403, 'licensing.license.expired', 'license.expired'],
    [403, 'licensing.legacy_key.downtime', 'legacy_key.downtime'],
    [403, 'licensing.legacy_key.sunset', 'legacy_key.sunset'],
    [404, 'request.not_found', 'server.unexpected'],
  ];
  for (const [status, code, reason] of definitive) {
    const answer = classifyAnswer(status, err(code, 'why'), undefined, 0);
    assert.equal(answer.kind, 'definitive');
    assert.equal(answer.kind === 'definitive' && answer.reason.code, reason, code);
  }
  assert.deepEqual(classifyAnswer(429, err('licensing.rate_limited'), '3', 0), { kind: 'retryable', detail: 'HTTP 429 licensing.rate_limited', retryAfterMs: 3000 });
  assert.deepEqual(classifyAnswer(503, undefined, undefined, 0), { kind: 'retryable', detail: 'HTTP 503', retryAfterMs: undefined });
  assert.equal(classifyAnswer(502, 'gateway html', '1', 0).kind, 'retryable');
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('2', 0), 2000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT')), 0);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});

test('TLS errors are recognised through the cause chain', () => {
  assert.ok(isTlsError({ message: 'fetch failed', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } }));
  assert.ok(isTlsError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }));
  assert.ok(!isTlsError({ code: 'ECONNREFUSED' }));
  assert.equal(describeNetworkError({ code: 'UND_ERR_CONNECT', cause: { code: 'ECONNREFUSED' } }), 'ECONNREFUSED');
});

test('refresh jitter stays within ±10 %', () => {
  assert.equal(refreshDelay(1000, 0), 900);
  assert.equal(refreshDelay(1000, 1), 1100);
  assert.equal(refreshDelay(1000, 0.5), 1000);
});
