import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SECRET_SCANNING } from '../../../src/server/constants.ts';
import { ApiError } from '../../../src/server/errors.ts';
import { keyLoader, parseKeyDocument, ScannerKeys } from '../../../src/server/secret-scanning/keys.ts';
import { keyDocument, scannerKey } from '../../helpers/scanner.ts';
import { tempDir } from '../../helpers/server.ts';

const first = scannerKey('key-1');
const next = scannerKey('key-2');

/** The real file loader over a file the test rewrites, with a clock the test moves. */
function setup() {
  const file = join(tempDir(), 'keys.json');
  writeFileSync(file, keyDocument([first]));
  let now = 1_000_000;
  const warnings: string[] = [];
  const keys = new ScannerKeys({ ...keyLoader(file), nowMs: () => now, warn: (l) => warnings.push(l) });
  return { file, keys, warnings, advance: (ms: number) => { now += ms; } };
}

test('a rotated key is found by a refresh on its unknown id, but no sooner than the interval after the last load', async () => {
  const { file, keys, advance } = setup();
  assert.ok(await keys.key('key-1'));
  writeFileSync(file, keyDocument([next, first]));
  assert.equal(await keys.key('key-2'), undefined, 'loaded at start: the interval has not passed');
  advance(SECRET_SCANNING.keysRefreshMinMs);
  assert.ok(await keys.key('key-2'), 'refreshed on the unknown id');
  assert.ok(await keys.key('key-1'), 'an older listed key still verifies');
  const loads = keys.loads;
  for (let i = 0; i < 50; i++) assert.equal(await keys.key(`forged-${i}`), undefined);
  assert.equal(keys.loads, loads, 'forged ids within the interval cause no load');
});

test('concurrent unknown ids share one load; a document that turns bad keeps the keys held', async () => {
  const { file, keys, warnings, advance } = setup();
  advance(SECRET_SCANNING.keysRefreshMinMs);
  const before = keys.loads;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => keys.key(`unknown-${i}`)));
  assert.deepEqual(results, Array(20).fill(undefined));
  assert.equal(keys.loads, before + 1);
  writeFileSync(file, 'not json');
  advance(SECRET_SCANNING.keysRefreshMinMs);
  assert.equal(await keys.key('unknown'), undefined);
  assert.ok(await keys.key('key-1'), 'still held');
  assert.match(warnings.join('\n'), /cannot be loaded: it is not JSON/);
});

test('with no key ever loaded, an alert is 503 with Retry-After, and the next try waits for the interval', async () => {
  let now = 0;
  let loads = 0;
  const keys = new ScannerKeys({ load: async () => { loads++; throw new Error('ECONNREFUSED'); }, nowMs: () => now });
  const unavailable = await keys.key('key-1').catch((e: unknown) => e);
  assert.ok(unavailable instanceof ApiError && unavailable.status === 503 && unavailable.headers['retry-after'] === '60');
  await keys.key('key-1').catch(() => undefined);
  assert.equal(loads, 1);
  now += SECRET_SCANNING.keysRefreshMinMs;
  await keys.key('key-1').catch(() => undefined);
  assert.equal(loads, 2);
});

test('the key document: non-P-256 and malformed entries are left out; none left is an error', () => {
  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
  const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
  const p384 = pem(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey);
  const doc = JSON.stringify({ public_keys: [{ key_identifier: 'ok', key: first.publicPem }, { key_identifier: 'rsa', key: rsa }, { key_identifier: 'p384', key: p384 }, { key_identifier: 'junk', key: 'nope' }, { key: first.publicPem }] });
  assert.deepEqual([...parseKeyDocument(doc).keys()], ['ok']);
  assert.throws(() => parseKeyDocument('{"public_keys": [{"key_identifier": "x", "key": "nope"}]}'), /lists no ECDSA P-256 public key/);
  assert.throws(() => parseKeyDocument('[]'), /no "public_keys" array/);
});
