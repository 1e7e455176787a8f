import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrust, pipelineOf, tokenPins } from '../../../src/server/accounts/ci-trusts.ts';
import { ApiError } from '../../../src/server/errors.ts';

const ISSUERS = ['https://token.actions.githubusercontent.com', 'https://gitlab.com'];
const gh = ISSUERS[0]!;

test('a trust is pinned by the first repository or owner claim among its conditions', () => {
  assert.equal(checkTrust({ name: 'x', issuer: gh, conditions: { ref: 'refs/heads/main', repository_owner_id: '42', repository: 'acme/app' } }, ISSUERS), 'repository=acme/app');
  assert.equal(checkTrust({ name: 'x', issuer: ISSUERS[1]!, conditions: { namespace_path: 'acme', ref_protected: 'true' } }, ISSUERS), 'namespace_path=acme');
});

test('refused in words: no pin, an untrusted issuer, a claim the server checks itself, a bad claim name', () => {
  const refused = (input: Parameters<typeof checkTrust>[0], message: RegExp) => assert.throws(() => checkTrust(input, ISSUERS), (e: unknown) => e instanceof ApiError && e.status === 400 && message.test(e.message));
  refused({ name: 'x', issuer: gh, conditions: { ref: 'refs/heads/main' } }, /must pin the repository or its owner .*would admit every repository on GitHub/);
  refused({ name: 'x', issuer: 'https://ci.example', conditions: { repository: 'a/b' } }, /not an issuer this server trusts; use one of https:\/\/token\.actions\.githubusercontent\.com, https:\/\/gitlab\.com/);
  refused({ name: 'x', issuer: gh, conditions: { repository: 'a/b', aud: 'x' } }, /body\.conditions\.aud is checked by the server itself/);
  refused({ name: 'x', issuer: gh, conditions: { repository: 'a/b', 'bad name': 'x' } }, /is not a claim name/);
});

test('a token offers every pin claim it carries; numbers compare as text; the pipeline is what a person recognises', () => {
  assert.deepEqual(tokenPins({ repository: 'acme/app', repository_owner_id: 42, ref: 'refs/heads/main', sub: 'repo:acme/app:ref:refs/heads/main' }),
    ['repository=acme/app', 'repository_owner_id=42', 'sub=repo:acme/app:ref:refs/heads/main']);
  assert.deepEqual(pipelineOf({ repository: 'acme/app', ref: 'refs/heads/main', run_id: '7', run_attempt: '2' }), { repository: 'acme/app', ref: 'refs/heads/main', environment: null, run: '7/2' });
  assert.deepEqual(pipelineOf({ project_path: 'acme/app', ref: 'main', pipeline_id: 99 }), { repository: 'acme/app', ref: 'main', environment: null, run: '99' });
});
