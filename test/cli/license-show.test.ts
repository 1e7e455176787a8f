import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { candidatePaths } from '../../src/core/candidates.ts';
import { generateToken } from '../../src/core/credentials.ts';
import { decideShow, licenseShowPaths } from '../../src/cli/license-show.ts';

test('license show reads the cache files the entrypoint would use for the token; license.json alone without one', () => {
  const token = generateToken('developer');
  const cache = '/volume/cache';
  const paths = licenseShowPaths(cache, token);
  assert.deepEqual(paths, candidatePaths(cache, token, { mounted: '/m', baked: '/b' }).slice(1, -1));
  assert.match(paths[1]!, /\/license-[0-9a-f]{12}\.json$/);
  assert.notDeepEqual(licenseShowPaths(cache, generateToken('developer')), paths, 'each token has its own file');
  assert.deepEqual(licenseShowPaths(cache, undefined), [join(cache, 'license.json')]);
});

test('decideShow: none; a permission problem before any other reason; every other rejection listed', () => {
  assert.deepEqual(decideShow([]), { kind: 'none' });
  const expired = { path: '/a', rejected: { code: 'license.offline_expired', message: 'old' } };
  const denied = { path: '/b', rejected: { code: 'license.unreadable', message: 'cannot read license file /b: EACCES' } };
  const missing = { path: '/c', rejected: { code: 'license.unreadable', message: 'cannot read license file /c: EISDIR' } };
  assert.deepEqual(decideShow([expired, denied]), { kind: 'unreadable', path: '/b' });
  assert.deepEqual(decideShow([expired, missing]), { kind: 'unusable', rejected: [expired, missing] });
});
