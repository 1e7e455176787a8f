import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialBinding, generateToken, hashCredential } from '../../../src/core/credentials.ts';
import { CredentialError } from '../../../src/core/errors.ts';
import { CredentialMemo } from '../../../src/server/http/credential-memo.ts';

// The activation route's memo of parsed bearer values (issue 22): the same answers as parsing and hashing each time.

test('a kept value gives what parsing and hashing it gives, and the same object the second time', () => {
  const memo = new CredentialMemo();
  const token = generateToken('ci');
  const first = memo.parse(token);
  assert.deepEqual(first, { credential: { kind: 'ci', value: token }, hash: hashCredential(token), binding: credentialBinding(token) });
  assert.equal(memo.parse(token), first);
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.credential), 'shared by requests: none may change it');
});

test('a malformed value throws as parseCredential does and is not kept', () => {
  const memo = new CredentialMemo();
  const typo = generateToken('developer').replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
  for (let i = 0; i < 2; i++) assert.throws(() => memo.parse(typo), (e) => e instanceof CredentialError && e.code === 'credentials.malformed');
  assert.equal(memo.size, 0);
});

test('the memo never holds more than its bound: once full it starts again empty', () => {
  const memo = new CredentialMemo(3);
  const tokens = Array.from({ length: 7 }, () => generateToken('developer'));
  const sizes = tokens.map((t) => (memo.parse(t), memo.size));
  assert.deepEqual(sizes, [1, 2, 3, 1, 2, 3, 1]);
  assert.equal(memo.parse(tokens[6]).hash, hashCredential(tokens[6]));
});
