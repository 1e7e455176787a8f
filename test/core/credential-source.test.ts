import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CiEnvironment } from '../../src/core/activation-body.ts';
import { resolveCredential } from '../../src/core/credential-source.ts';
import { generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { tempDir } from '../helpers/server.ts';

const noCi: CiEnvironment = { isCI: false, name: null };
const dir = tempDir();
const dev = generateToken('developer');
const ci = generateToken('ci');
const legacy = generateLegacyKey();
writeFileSync(join(dir, 'token'), `${dev}\n`);
writeFileSync(join(dir, 'empty'), '  \n');
writeFileSync(join(dir, 'huge'), Buffer.alloc(1024 * 1024, 'a'));

function value(env: Record<string, string>, ciEnv = noCi): string {
  const r = resolveCredential(env, ciEnv);
  assert.ok(r.ok, JSON.stringify(r));
  return r.resolved.credential.value;
}

function failsWith(env: Record<string, string>, code: string, ciEnv = noCi): string {
  const r = resolveCredential(env, ciEnv);
  assert.ok(!r.ok, `expected ${code}`);
  assert.equal(r.reason.code, code);
  for (const secret of [dev, ci, legacy]) assert.ok(!r.reason.detail.includes(secret), 'no credential in the detail');
  return r.reason.detail;
}

test('the token, the _FILE twin, and an auth token placed in LOCALSTACK_API_KEY are accepted', () => {
  assert.deepEqual(resolveCredential({ LOCALSTACK_AUTH_TOKEN: ` "${dev}" ` }, noCi), { ok: true, resolved: { credential: { kind: 'developer', value: dev }, source: 'LOCALSTACK_AUTH_TOKEN' } });
  assert.equal(value({ LOCALSTACK_AUTH_TOKEN_FILE: join(dir, 'token') }), dev);
  assert.equal(value({ LOCALSTACK_API_KEY: dev }), dev);
  assert.equal(value({ LOCALSTACK_API_KEY: legacy }), legacy);
  assert.equal(value({ LOCALSTACK_AUTH_TOKEN: ci }, { isCI: true, name: 'GitHub Actions' }), ci);
});

test('each credential problem has its own code, and none throws', () => {
  failsWith({}, 'credentials.missing');
  failsWith({ LOCALSTACK_AUTH_TOKEN: ' ' }, 'credentials.missing');
  failsWith({ LOCALSTACK_AUTH_TOKEN: 'ls-typo' }, 'credentials.malformed');
  failsWith({ LOCALSTACK_AUTH_TOKEN: legacy }, 'credentials.malformed');
  assert.equal(failsWith({ LOCALSTACK_AUTH_TOKEN: dev, LOCALSTACK_API_KEY: legacy }, 'credentials.conflict'),
    'both an auth token (LOCALSTACK_AUTH_TOKEN) and an API key (LOCALSTACK_API_KEY) are set');
  assert.equal(failsWith({ LOCALSTACK_AUTH_TOKEN: dev, LOCALSTACK_AUTH_TOKEN_FILE: join(dir, 'token') }, 'credentials.conflict'),
    'both LOCALSTACK_AUTH_TOKEN and LOCALSTACK_AUTH_TOKEN_FILE are set');
  assert.match(failsWith({ LOCALSTACK_AUTH_TOKEN_FILE: join(dir, 'missing') }, 'credentials.file_unreadable'), /cannot be read \(ENOENT\)/);
  assert.match(failsWith({ LOCALSTACK_AUTH_TOKEN_FILE: dir }, 'credentials.file_unreadable'), /cannot be read \(EISDIR\)/);
  failsWith({ LOCALSTACK_API_KEY_FILE: join(dir, 'empty') }, 'credentials.file_unreadable');
  failsWith({ LOCALSTACK_AUTH_TOKEN: dev }, 'credentials.ci_token_required', { isCI: true, name: 'GitHub Actions' });
});

test('a huge _FILE is refused without being read whole', () => {
  assert.match(failsWith({ LOCALSTACK_AUTH_TOKEN_FILE: join(dir, 'huge') }, 'credentials.file_unreadable'), /cannot be read \(file\.too_large\)/);
});
