import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { maskSecrets, outsideText } from '../../src/core/redact.ts';

test('every credential-shaped word is masked: prefix and 4 characters', () => {
  const dev = generateToken('developer');
  const ci = generateToken('ci');
  const text = maskSecrets(`got ${dev} and "${ci}", Authorization: Bearer ${ci}`);
  assert.ok(!text.includes(dev) && !text.includes(ci), text);
  assert.ok(text.includes(`${dev.slice(0, 7)}…`));
  assert.ok(text.includes(`${ci.slice(0, 9)}…`));
});

test('a known secret (a legacy key) is masked wherever it appears; ordinary words are left alone', () => {
  const legacy = generateLegacyKey();
  assert.equal(maskSecrets(`key=${legacy}!`, [legacy]), `key=${legacy.slice(0, 2)}…!`);
  for (const plain of ['tools-version 3', 'auth tokens start with ls- or lsci-', 'use a CI auth token (lsci-…)', 'ls-ABCD…']) {
    assert.equal(maskSecrets(plain), plain);
  }
});

test('outside text: one line, bounded, Authorization values masked', () => {
  const text = outsideText(`line1\nline2\r\u0000 Bearer abc.def ${'x'.repeat(10_000)}`);
  assert.ok(!text.includes('\n') && !text.includes('\u0000'));
  assert.ok(text.length <= 300);
  assert.ok(text.includes('Bearer …') && !text.includes('abc.def'), text);
  assert.equal(outsideText(undefined), 'undefined');
});

test('a JWT-shaped word (a CI ID token) is masked to eyJ…, wherever it appears', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXBhcnQ';
  assert.equal(maskSecrets(`token=${token}; next`), 'token=eyJ…; next');
  assert.equal(outsideText(`failed for "${token}"`), 'failed for "eyJ…"');
  assert.equal(maskSecrets('eyJ alone is a word'), 'eyJ alone is a word');
});
