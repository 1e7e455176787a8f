import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { parseRetryAfter, readAnswer } from '../../src/entrypoint/answers.ts';

const err = (code: string, message = 'x') => JSON.stringify({ error: { code, message } });

test('section 4: each answer maps to its reaction', () => {
  assert.deepEqual(readAnswer(200, '{"license":"a.b.c"}', undefined, 0), { kind: 'license', jws: 'a.b.c' });
  assert.equal(readAnswer(200, '{}', undefined, 0).kind, 'failed');
  assert.equal(readAnswer(200, 'null', undefined, 0).kind, 'failed');
  const definitive: [number, string, string][] = [
    [400, 'licensing.credentials.format', 'credentials.malformed'],
    [401, 'licensing.credentials.invalid', 'credentials.invalid'],
    [401, 'licensing.credentials.leaked', 'credentials.leaked'],
    [403, 'licensing.credentials.ci_token_required', 'credentials.ci_token_required'],
    [403, 'licensing.license.not_found', 'license.not_found'],
    [403, 'licensing.license.expired', 'license.expired'],
    [403, 'licensing.legacy_key.downtime', 'legacy_key.downtime'],
    [403, 'licensing.legacy_key.sunset', 'legacy_key.sunset'],
  ];
  for (const [status, code, reason] of definitive) {
    const answer = readAnswer(status, err(code, 'why'), undefined, 0);
    assert.equal(answer.kind === 'refused' && answer.reason.code, reason, code);
  }
  assert.deepEqual(readAnswer(429, err('licensing.rate_limited'), '3', 0), { kind: 'failed', detail: 'HTTP 429 licensing.rate_limited', retryAfterMs: 3000, answered: 'busy' });
  assert.deepEqual(readAnswer(503, '', undefined, 0), { kind: 'failed', detail: 'HTTP 503', retryAfterMs: undefined, answered: 'failing' });
  assert.equal(readAnswer(502, '<html>gateway</html>', '1', 0).kind, 'failed');
});

test("adversary 4: only the protocol's own refusals are definitive; a middlebox answer is a failure to retry", () => {
  const failedUnexpected = (status: number, text: string, type?: string) => {
    const a = readAnswer(status, text, undefined, 0, [], type);
    assert.ok(a.kind === 'failed' && a.answered === 'unexpected', `${status} ${text}: ${JSON.stringify(a)}`);
    return a.detail;
  };
  assert.match(failedUnexpected(200, '<html>Sign in</html>', 'text/html; charset=utf-8'), /^HTTP 200 text\/html: not the license server \(a captive portal or proxy page\?\) without a license$/);
  failedUnexpected(404, '<html>Not found</html>', 'text/html');
  failedUnexpected(404, err('request.not_found'));
  failedUnexpected(403, err('waf.blocked'));
  failedUnexpected(403, err('__proto__'));
  assert.match(failedUnexpected(407, ''), /proxy asks for credentials/);
  // A protocol code under a status the table does not give it is not the protocol either.
  failedUnexpected(404, err('licensing.credentials.invalid'));
  failedUnexpected(200, err('licensing.credentials.invalid'));
});

test("a server's message is bounded, one line, and never carries a credential", () => {
  const ci = generateToken('ci');
  const legacy = generateLegacyKey();
  const answer = readAnswer(401, err('licensing.credentials.invalid', `bad token Bearer ${ci} key ${legacy}\n${'z'.repeat(100_000)}`), undefined, 0, [legacy]);
  assert.equal(answer.kind, 'refused');
  const detail = answer.kind === 'refused' ? answer.reason.detail : '';
  assert.ok(!detail.includes(ci) && !detail.includes(legacy) && !detail.includes('\n'), detail);
  assert.ok(detail.length <= 300);
  const unknown = readAnswer(418, err(`weird ${ci}`, `echo ${ci}`), undefined, 0);
  assert.ok(unknown.kind === 'failed' && !unknown.detail.includes(ci), JSON.stringify(unknown));
});

test('Retry-After in seconds or as an HTTP date; nonsense is ignored', () => {
  assert.equal(parseRetryAfter('2', 0), 2000);
  assert.equal(parseRetryAfter(' 2 ', 0), 2000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 08:00:00 GMT')), 0);
  for (const bad of ['soon', '', '-1', '1.5', '9'.repeat(400), undefined]) assert.equal(parseRetryAfter(bad, 0), undefined, String(bad));
});
