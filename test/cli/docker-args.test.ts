import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerRun } from '../../src/cli/docker-args.ts';
import { generateToken } from '../../src/core/credentials.ts';

const base = { env: { PATH: '/bin' }, token: generateToken('developer'), detach: true, volume: '/home/dev/.cache/localstack/volume', tty: false };

test('a user given runs the container as that UID:GID, as a docker option before the image; none given, the image\'s own user', () => {
  const as = dockerRun({ ...base, user: '1000:1000' }).args;
  assert.deepEqual(as.slice(as.indexOf('--user'), as.indexOf('--user') + 2), ['--user', '1000:1000']);
  assert.ok(as.indexOf('--user') < as.indexOf('localstack/localstack-pro'));
  assert.equal(as.at(-1), 'localstack/localstack-pro');
  const root = dockerRun(base).args;
  assert.ok(!root.includes('--user'));
  assert.deepEqual(root.filter((a) => a !== '--user' && a !== '1000:1000'), as.filter((a) => a !== '--user' && a !== '1000:1000'), 'nothing else changes');
});
