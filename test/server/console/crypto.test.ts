import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '../../../src/server/console/passwords.ts';
import { keyOf, newSecret, open, seal, secretHash } from '../../../src/server/console/vault.ts';

test('scrypt: the right password gives back the same key, a wrong one nothing; salts differ', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a.hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.hash, b.hash);
  assert.ok(!a.hash.includes(a.key.toString('base64url')), 'the key is not in the stored hash');
  assert.deepEqual(await verifyPassword('correct horse battery', a.hash), a.key);
  assert.equal(await verifyPassword('correct horse batterY', a.hash), undefined);
  assert.equal(await verifyPassword('x', 'md5$abc'), undefined);
});

test('sealed boxes open only with their key and only unaltered', () => {
  const secret = newSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.match(secretHash(secret), /^[0-9a-f]{64}$/);
  const key = keyOf(secret, 'session');
  const box = seal(key, 'ls-value');
  assert.equal(open(key, box)?.toString(), 'ls-value');
  assert.equal(open(keyOf(secret, 'invitation'), box), undefined, 'a key for another purpose');
  assert.equal(open(keyOf(newSecret(), 'session'), box), undefined);
  const raw = Buffer.from(box, 'base64url');
  raw[raw.length - 1] ^= 1;
  assert.equal(open(key, raw.toString('base64url')), undefined, 'tampered');
  assert.equal(open(key, null), undefined);
  assert.equal(open(key, 'short'), undefined);
});
