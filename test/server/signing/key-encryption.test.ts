import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyEncryptionKey, open, seal } from '../../../src/server/signing/key-encryption.ts';
import { tempDir } from '../../helpers/server.ts';

const SECRET = 'a-key-encryption-secret-of-enough-length-0123';

test('a sealed private key opens only with the same secret, for the same key id, untampered', () => {
  const kek = keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET: SECRET });
  const sealed = seal('private-part', kek, 'kid-1');
  assert.ok(!sealed.includes('private-part'));
  assert.notEqual(seal('private-part', kek, 'kid-1'), sealed, 'a fresh IV each time');
  assert.equal(open(sealed, kek, 'kid-1'), 'private-part');
  assert.throws(() => open(sealed, kek, 'kid-2'), 'moved to another key row');
  assert.throws(() => open(sealed, keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET: `${SECRET}x` }), 'kid-1'));
  const parts = sealed.split('.');
  parts[2] = Buffer.from('x'.repeat(12)).toString('base64url');
  assert.throws(() => open(parts.join('.'), kek, 'kid-1'), 'tampered');
});

test('the secret comes from the variable or a file; missing or short is one clear error', () => {
  const file = join(tempDir(), 'secret');
  writeFileSync(file, `${SECRET}\n`);
  assert.deepEqual(keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET_FILE: file }), keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET: SECRET }));
  assert.throws(() => keyEncryptionKey({}), { code: 'server.key_secret', message: /LICENSE_SERVER_KEY_SECRET/ });
  assert.throws(() => keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET: 'short' }), { code: 'server.key_secret', message: /too short/ });
  assert.throws(() => keyEncryptionKey({ LICENSE_SERVER_KEY_SECRET_FILE: '/nonexistent/secret' }), { code: 'server.key_secret', message: /cannot be read/ });
});
