import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { resolveCredential, type CiEnvironment } from '../../src/entrypoint/credentials.ts';

const noCi: CiEnvironment = { isCI: false, name: null };
const files: Record<string, string> = {};
const readFile = (path: string) => {
  if (path in files) return files[path];
  throw Object.assign(new Error('nope'), { code: 'ENOENT' });
};
const dev = generateToken('developer');
const ci = generateToken('ci');
const legacy = generateLegacyKey();
files['/run/secrets/token'] = `${dev}\n`;
files['/run/secrets/empty'] = '  \n';

const failsWith = (env: Record<string, string>, code: string, ciEnv = noCi) =>
  assert.throws(() => resolveCredential(env, ciEnv, readFile), (e: { code: string; message: string }) => {
    assert.equal(e.code, code);
    for (const secret of [dev, ci, legacy]) assert.ok(!e.message.includes(secret), 'no credential in the message');
    return true;
  });

test('the token, the _FILE twin, and an auth token placed in LOCALSTACK_API_KEY are accepted', () => {
  assert.deepEqual(resolveCredential({ LOCALSTACK_AUTH_TOKEN: ` "${dev}" ` }, noCi, readFile), { credential: { kind: 'developer', value: dev }, source: 'LOCALSTACK_AUTH_TOKEN' });
  assert.equal(resolveCredential({ LOCALSTACK_AUTH_TOKEN_FILE: '/run/secrets/token' }, noCi, readFile).credential.value, dev);
  assert.equal(resolveCredential({ LOCALSTACK_API_KEY: dev }, noCi, readFile).credential.kind, 'developer');
  assert.equal(resolveCredential({ LOCALSTACK_API_KEY: legacy }, noCi, readFile).credential.kind, 'legacy');
  assert.equal(resolveCredential({ LOCALSTACK_AUTH_TOKEN: ci }, { isCI: true, name: 'GitHub Actions' }, readFile).credential.kind, 'ci');
});

test('each credential problem has its own code', () => {
  failsWith({}, 'credentials.missing');
  failsWith({ LOCALSTACK_AUTH_TOKEN: ' ' }, 'credentials.missing');
  failsWith({ LOCALSTACK_AUTH_TOKEN: 'ls-typo' }, 'credentials.malformed');
  failsWith({ LOCALSTACK_AUTH_TOKEN: legacy }, 'credentials.malformed');
  failsWith({ LOCALSTACK_AUTH_TOKEN: dev, LOCALSTACK_API_KEY: legacy }, 'credentials.conflict');
  failsWith({ LOCALSTACK_AUTH_TOKEN: dev, LOCALSTACK_AUTH_TOKEN_FILE: '/run/secrets/token' }, 'credentials.conflict');
  failsWith({ LOCALSTACK_AUTH_TOKEN_FILE: '/run/secrets/missing' }, 'credentials.file_unreadable');
  failsWith({ LOCALSTACK_API_KEY_FILE: '/run/secrets/empty' }, 'credentials.file_unreadable');
  failsWith({ LOCALSTACK_AUTH_TOKEN: dev }, 'credentials.ci_token_required', { isCI: true, name: 'GitHub Actions' });
});
