import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialBinding, generateLegacyKey, generateToken, hashCredential, maskCredential, normalizeCredential, parseCredential } from '../../src/core/credentials.ts';

test('normalisation trims, strips one pair of quotes, and treats empty as unset', () => {
  assert.equal(normalizeCredential('  ls-x \n'), 'ls-x');
  assert.equal(normalizeCredential('"ls-x"'), 'ls-x');
  assert.equal(normalizeCredential("'ls-x'"), 'ls-x');
  assert.equal(normalizeCredential(`"'ls-x'"`), `'ls-x'`, 'only one pair');
  assert.equal(normalizeCredential('"ls-x\''), `"ls-x'`, 'mismatched quotes stay');
  assert.equal(normalizeCredential(' '), undefined, "compose's ${VAR- } default");
  assert.equal(normalizeCredential('""'), undefined);
  assert.equal(normalizeCredential(undefined), undefined);
});

test('generated tokens parse, with the right kind and the documented shape', () => {
  for (let i = 0; i < 200; i++) {
    const dev = generateToken('developer');
    const ci = generateToken('ci');
    assert.match(dev, /^ls-[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}$/);
    assert.equal(parseCredential(dev).kind, 'developer');
    assert.equal(parseCredential(ci).kind, 'ci');
    assert.equal(parseCredential(generateLegacyKey()).kind, 'legacy');
  }
});

test('the checksum catches every single-character typo in the random part', () => {
  const token = generateToken('developer');
  let caught = 0;
  let tried = 0;
  for (let i = 3; i < token.length; i++) {
    if (token[i] === '-') continue;
    const typo = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
    tried++;
    try {
      parseCredential(typo);
    } catch (error) {
      assert.equal((error as { code: string }).code, 'credentials.malformed');
      caught++;
    }
  }
  // A 16-bit checksum misses a typo with probability 1/65536 per try.
  assert.ok(caught >= tried - 1, `${caught} of ${tried} typos caught`);
});

test('the checksum is the first 4 hex chars of sha256(prefix + 28 random chars)', async () => {
  const { createHash } = await import('node:crypto');
  const random = 'AbCdEfGh1234567890ZyXwVuTsRq';
  const sum = createHash('sha256').update(`lsci-${random}`).digest('hex').slice(0, 4);
  const chars = random + sum;
  const token = `lsci-${chars.slice(0, 8)}-${chars.slice(8, 12)}-${chars.slice(12, 16)}-${chars.slice(16, 20)}-${chars.slice(20)}`;
  assert.equal(parseCredential(token).kind, 'ci');
  assert.throws(() => parseCredential(token.replace('lsci-', 'ls-')), { code: 'credentials.malformed' }, 'the prefix is part of the checksum');
});

test('malformed values are refused with a code', () => {
  for (const bad of ['ls-', 'ls-abc', 'lsci-AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAA', 'short', 'ElevenChars', 'has space!', 'ls_AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA']) {
    assert.throws(() => parseCredential(bad), { code: 'credentials.malformed' }, bad);
  }
});

test('masking shows the prefix and at most 4 more characters', () => {
  const token = generateToken('ci');
  assert.equal(maskCredential(token), `${token.slice(0, 9)}…`);
  assert.equal(maskCredential('ls-ABCDEFGH-rest'), 'ls-ABCD…');
  assert.equal(maskCredential('AbCdEfGh12'), 'Ab…');
});

test('hash and binding are SHA-256 in hex and base64url', () => {
  assert.equal(hashCredential('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(credentialBinding('abc'), Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url'));
});
