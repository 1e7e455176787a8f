import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeNetworkError, isConnectionFailure, isTlsError } from '../../src/core/network-errors.ts';

test('TLS errors are recognised through the cause chain', () => {
  assert.ok(isTlsError({ message: 'fetch failed', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } }));
  assert.ok(isTlsError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }));
  assert.ok(!isTlsError({ code: 'ECONNREFUSED' }));
});

test('connection failures: refused, unresolved, unreachable; not a reset or a timeout', () => {
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']) {
    assert.ok(isConnectionFailure({ code: 'UND_ERR_CONNECT', cause: { code } }), code);
  }
  for (const code of ['ECONNRESET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_SOCKET']) assert.ok(!isConnectionFailure({ code }), code);
});

test('descriptions: the innermost code, and a timeout in words, never an internal code', () => {
  assert.equal(describeNetworkError({ code: 'UND_ERR_CONNECT', cause: { code: 'ECONNREFUSED' } }), 'ECONNREFUSED');
  assert.equal(describeNetworkError({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 3000), 'no answer within 3 s');
  assert.equal(describeNetworkError({ name: 'TimeoutError' }, 2500), 'no answer within 2.5 s');
  assert.equal(describeNetworkError(new Error('plain')), 'plain');
  const cyclic: { code?: string; cause?: unknown } = {};
  cyclic.cause = cyclic;
  assert.equal(typeof describeNetworkError(cyclic), 'string', 'a cyclic cause chain ends');
});
