import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidatePaths, chooseNewest, summariseRejections, type Candidate } from '../../src/entrypoint/offline.ts';

const verified = (path: string, iat: number): Candidate => ({ path, verified: { jws: 'x', kid: 'k', claims: { iat } as never } });
const rejected = (path: string, code: string): Candidate => ({ path, rejected: { code, message: code } });

test('candidates in the contract order: mounted, cache, baked', () => {
  assert.deepEqual(candidatePaths('/cache'), ['/etc/localstack/conf.d/license.json', '/cache/license.json', '/usr/lib/localstack/license.json']);
});

test('the newest verified license wins, wherever it lies', () => {
  const pick = chooseNewest([verified('/a', 100), rejected('/b', 'license.corrupt'), verified('/c', 300), verified('/d', 200)]);
  assert.equal(pick?.path, '/c');
  assert.equal(chooseNewest([rejected('/a', 'license.signature')]), undefined);
});

test('the reason names each rejected file and why', () => {
  assert.equal(summariseRejections([]), 'no cached license exists');
  const text = summariseRejections([
    rejected('/a', 'license.offline_expired'), rejected('/b', 'license.credential_mismatch'), rejected('/c', 'license.signature'),
    rejected('/d', 'license.clock_rolled_back'), rejected('/e', 'license.corrupt'), rejected('/f', 'license.unknown_key'),
  ]);
  for (const words of ['/a: expired', '/b: activated with another credential', '/c: not genuine', '/d: issued in the future', '/e: corrupt', '/f: signed by an unknown key']) {
    assert.ok(text.includes(words), words);
  }
});
