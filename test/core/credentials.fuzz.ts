import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { resolveCredential } from '../../src/core/credential-source.ts';
import { generateLegacyKey, generateToken, maskCredential, normalizeCredential, parseCredential } from '../../src/core/credentials.ts';
import { CredentialError } from '../../src/core/errors.ts';
import { maskSecrets, outsideText } from '../../src/core/redact.ts';

// The credential parser, normaliser and resolver, and the masking of outside text, on arbitrary input:
// no crash, every failure a stable code, no credential in any output.
const RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
const opts = { numRuns: RUNS };

const devToken = fc.constant(null).map(() => generateToken('developer'));
const ciToken = fc.constant(null).map(() => generateToken('ci'));
const legacyKey = fc.constant(null).map(() => generateLegacyKey());
const anyCredential = fc.oneof(devToken, ciToken, legacyKey);
const space = fc.constantFrom('', ' ', '\t', '\n', '  \r\n');
const quote = fc.constantFrom('', '"', "'");
const junk = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('ls-', 'lsci-', 'ls-AAAA', '""', "''", ' '));

test('normalisation never throws; the result is trimmed, non-empty, or unset', () => {
  fc.assert(fc.property(fc.option(junk, { nil: undefined }), (raw) => {
    const v = normalizeCredential(raw);
    if (v !== undefined) {
      assert.ok(v.length > 0);
      assert.equal(v, v.trim());
    }
  }), opts);
});

test('a real credential survives any white space and one pair of quotes around it', () => {
  fc.assert(fc.property(anyCredential, space, quote, space, (c, s1, q, s2) => {
    assert.equal(normalizeCredential(`${s1}${q}${s2}${c}${s2}${q}${s1}`), c);
  }), opts);
});

test('parsing any text: a credential kind, or credentials.malformed without echoing the text', () => {
  fc.assert(fc.property(fc.oneof(junk, anyCredential, anyCredential.map((c) => c.slice(0, -1)), anyCredential.map((c) => `${c}x`)), (value) => {
    try {
      const parsed = parseCredential(value);
      assert.ok(['developer', 'ci', 'legacy'].includes(parsed.kind));
      assert.equal(parsed.value, value);
    } catch (error) {
      assert.ok(error instanceof CredentialError, String(error));
      assert.equal(error.code, 'credentials.malformed');
      if (value.length >= 6) assert.ok(!error.message.includes(value), error.message);
    }
  }), opts);
});

test('resolving any combination of the four variables never throws; failures are coded and never carry the values', () => {
  const codes = new Set(['credentials.missing', 'credentials.malformed', 'credentials.conflict', 'credentials.file_unreadable', 'credentials.ci_token_required']);
  const value = fc.option(fc.oneof(anyCredential, junk), { nil: undefined });
  const file = fc.option(fc.constantFrom('/nonexistent/secret', '/proc/self/status', '/', '', ' '), { nil: undefined });
  fc.assert(fc.property(value, file, value, file, fc.boolean(), (token, tokenFile, key, keyFile, isCI) => {
    const env = { LOCALSTACK_AUTH_TOKEN: token, LOCALSTACK_AUTH_TOKEN_FILE: tokenFile, LOCALSTACK_API_KEY: key, LOCALSTACK_API_KEY_FILE: keyFile };
    const r = resolveCredential(env, { isCI, name: isCI ? 'CI' : null });
    if (r.ok) return;
    assert.ok(codes.has(r.reason.code), r.reason.code);
    for (const secret of [token, key]) {
      const s = normalizeCredential(secret);
      if (s && s.length >= 8) assert.ok(!r.reason.detail.includes(s), r.reason.detail);
    }
  }), opts);
});

test('masking: any text with credentials in it comes out without them; outside text is one bounded line', () => {
  fc.assert(fc.property(fc.array(fc.oneof(junk, anyCredential, anyCredential.map((c) => `Bearer ${c}`))), fc.integer({ min: 10, max: 400 }), (parts, max) => {
    const text = parts.join(' ');
    const secrets = parts.filter((p) => /^(ls-|lsci-)/.test(p) || /^[A-Za-z0-9]{10}$/.test(p));
    const masked = maskSecrets(text, secrets);
    const line = outsideText(text, secrets, max);
    for (const secret of parts.filter((p) => { try { return parseCredential(p) !== undefined; } catch { return false; } })) {
      assert.ok(!masked.includes(secret), masked);
      assert.ok(!line.includes(secret), line);
    }
    assert.ok(line.length <= max);
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line));
    assert.ok(maskCredential(text).length <= 10);
  }), opts);
});
