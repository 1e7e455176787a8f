import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { candidatePaths, chooseNewest, readCandidates, summariseRejections, type Candidate } from '../../src/core/candidates.ts';
import { serialise } from '../../src/core/cache-file.ts';
import { generateToken } from '../../src/core/credentials.ts';
import { claimsFor, forge, signRaw, testKey } from '../helpers/keys.ts';
import { tempDir } from '../helpers/server.ts';

const verified = (path: string, iat: number): Candidate => ({ path, verified: { jws: 'x', kid: 'k', claims: { iat } as never } });
const rejected = (path: string, code: string): Candidate => ({ path, rejected: { code, message: code } });

test("candidates in the contract order: mounted, cache (license.json, then the credential's own file), baked", () => {
  const token = generateToken('developer');
  const own = `/cache/license-${createHash('sha256').update(token).digest('hex').slice(0, 12)}.json`;
  assert.deepEqual(candidatePaths('/cache', token), ['/etc/localstack/conf.d/license.json', '/cache/license.json', own, '/usr/lib/localstack/license.json']);
});

test('the newest verified license wins, wherever it lies; a rejected one never does', () => {
  const pick = chooseNewest([verified('/a', 100), rejected('/b', 'license.corrupt'), verified('/c', 300), verified('/d', 200)]);
  assert.equal(pick?.path, '/c');
  assert.equal(chooseNewest([rejected('/a', 'license.signature')]), undefined);
});

test('the reason names each rejected file and why', () => {
  assert.equal(summariseRejections([]), 'no cached license exists');
  const text = summariseRejections([
    rejected('/a', 'license.offline_expired'), rejected('/b', 'license.credential_mismatch'), rejected('/c', 'license.signature'),
    rejected('/d', 'license.clock_rolled_back'), rejected('/e', 'license.corrupt'), rejected('/f', 'license.unknown_key'), rejected('/g', 'license.too_large'),
  ]);
  for (const words of ['/a: expired', '/b: activated with another credential', '/c: not genuine', '/d: issued in the future', '/e: corrupt', '/f: signed by an unknown key', '/g: too large']) {
    assert.ok(text.includes(words), words);
  }
});

test('real files: a forged newer file loses to an older genuine one; a null payload and a huge file are rejections', async () => {
  const token = generateToken('developer');
  const key = await testKey();
  const forger = await testKey();
  const dir = tempDir();
  const now = Math.floor(Date.now() / 1000);
  const paths = ['genuine', 'forged', 'null', 'huge', 'missing'].map((n) => join(dir, `${n}.json`));
  writeFileSync(paths[0]!, serialise(await forge(key, claimsFor(token, now - 600)), 'x', new Date()));
  writeFileSync(paths[1]!, serialise(await forge(forger, claimsFor(token, now + 200)), 'x', new Date()));
  writeFileSync(paths[2]!, serialise(await signRaw(key, 'null'), 'x', new Date()));
  writeFileSync(paths[3]!, Buffer.alloc(2 * 1024 * 1024, ' '));
  const candidates = await readCandidates(paths, { keys: { keys: [key.jwk] }, credential: token, now: new Date() });
  assert.equal(candidates.length, 4, 'a missing file is no candidate');
  assert.equal(chooseNewest(candidates)?.path, paths[0]);
  const codes = Object.fromEntries(candidates.map((c) => [c.path, 'rejected' in c ? c.rejected.code : 'ok']));
  assert.deepEqual(codes, { [paths[0]!]: 'ok', [paths[1]!]: 'license.unknown_key', [paths[2]!]: 'license.corrupt', [paths[3]!]: 'license.too_large' });
});
