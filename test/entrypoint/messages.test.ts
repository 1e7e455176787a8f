import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { baseEnv, run } from '../helpers/entrypoint.ts';
import { tempDir } from '../helpers/server.ts';

// What a newcomer meets first on a host: each message says the cause once and what to do once.

test('--help on a host, where pro-emulator is not on PATH: the usage, then the demo product\'s, exit 0', async () => {
  // Node 24 first on PATH (as npx puts it), and no pro-emulator anywhere on it.
  const r = await run(['--help'], baseEnv({ PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^usage: docker-entrypoint/m);
  assert.match(r.stdout, /^usage: pro-emulator/m);
  assert.doesNotMatch(r.stdout + r.stderr, /ENOENT/);
});

test('LICENSE_TRUSTED_KEYS naming no file, or a folder, says so in one line (exit 64)', async () => {
  const missing = await run(['true'], baseEnv({ LICENSE_TRUSTED_KEYS: '/nope/keys.json' }));
  assert.equal(missing.code, 64);
  assert.equal(missing.stderr.trim(), "docker-entrypoint: LICENSE_TRUSTED_KEYS=/nope/keys.json names no file: set it to the path of a JWKS file with the license server's public keys (its /.well-known/jwks.json)");
  const folder = tempDir();
  const dir = await run(['true'], baseEnv({ LICENSE_TRUSTED_KEYS: folder }));
  assert.equal(dir.code, 64);
  assert.match(dir.stderr, new RegExp(`LICENSE_TRUSTED_KEYS=${folder} names a folder: set it to the path of a JWKS file`));
});

test('LOCALSTACK_AUTH_TOKEN_FILE naming no file: the cause once, the advice once', async () => {
  const r = await run(['true'], baseEnv({ LOCALSTACK_AUTH_TOKEN_FILE: '/nope', API_ENDPOINT: 'http://127.0.0.1:1/v1', ACTIVATION_TIMEOUT: '1' }));
  assert.equal(r.code, 55);
  const reason = r.stderr.split('\n').find((l) => l.startsWith('Reason: '))!;
  assert.equal(reason, 'Reason: The credentials file cannot be used: LOCALSTACK_AUTH_TOKEN_FILE names /nope, which cannot be read (ENOENT). Mount the secret there, readable by this user, or unset the _FILE variable.');
});
