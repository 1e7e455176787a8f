import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { activate } from '../../src/index.ts';
import { serialise } from '../../src/entrypoint/license-file.ts';
import { claimsFor, forge, testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { cacheDir } from '../helpers/entrypoint.ts';
import { api, fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';

// The library entry, in-process against the real server: it returns an outcome and prints nothing.
const f = fixture();
let server: RunningServer;
let key: TestKey;
let trusted: string;
const noCi = { isCI: false, name: null };

before(async () => {
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  key = await testKey();
  trusted = writeJwks(tempDir(), [...(await api(server, 'GET', '/.well-known/jwks.json')).json.keys, key.jwk]);
});
after(async () => {
  await server.stop();
});

const envFor = (extra: Record<string, string>) => ({ API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '3', ...extra });
const nowS = () => Math.floor(Date.now() / 1000);
const missing = { mounted: '/nonexistent/mounted.json', baked: '/nonexistent/baked.json' };

test('online: a typed outcome with the claims and the cache path, nothing printed', async () => {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  let outcome;
  try {
    outcome = await activate({ env: envFor({ LOCALSTACK_AUTH_TOKEN: f.admin }), ci: noCi, paths: missing });
  } finally {
    process.stderr.write = original;
  }
  assert.equal(writes.join(''), '');
  assert.equal(outcome.activated, true);
  assert.ok(outcome.activated && outcome.mode === 'online' && outcome.claims.ws.id === 'ws-acme');
});

test('a definitive refusal is a reason with a stable code', async () => {
  const outcome = await activate({ env: envFor({ LOCALSTACK_AUTH_TOKEN: f.unlicensed }), ci: noCi, paths: missing });
  assert.equal(outcome.activated, false);
  assert.ok(!outcome.activated && outcome.reason.code === 'license.not_found');
});

test('a newer license in the cache for the same credential is never overwritten by an older one', async () => {
  const env = envFor({ LOCALSTACK_AUTH_TOKEN: f.admin });
  const path = join(env.LICENSE_CACHE_DIR, 'license.json');
  const newer = serialise(await forge(key, claimsFor(f.admin, nowS() + 120)), 'http://newer/v1', new Date());
  writeFileSync(path, newer);
  const outcome = await activate({ env, ci: noCi, paths: missing });
  assert.ok(outcome.activated && outcome.mode === 'online');
  assert.equal(readFileSync(path, 'utf8'), newer);
});

test('offline: the newest valid candidate wins across the mounted file, the cache and the baked file', async () => {
  const dir = tempDir();
  const paths = { mounted: join(dir, 'mounted.json'), baked: join(dir, 'baked.json') };
  const env = envFor({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: 'http://127.0.0.1:9/v1' });
  writeFileSync(paths.mounted, serialise(await forge(key, claimsFor(f.admin, nowS() - 300)), 'x', new Date()));
  writeFileSync(join(env.LICENSE_CACHE_DIR, 'license.json'), serialise(await forge(key, claimsFor(f.admin, nowS() - 60)), 'x', new Date()));
  writeFileSync(paths.baked, '{"format": 1, "license": "garbage"}');
  const outcome = await activate({ env, ci: noCi, paths });
  assert.ok(outcome.activated && outcome.mode === 'offline');
  assert.equal(outcome.activated && outcome.licenseFile, join(env.LICENSE_CACHE_DIR, 'license.json'));
  writeFileSync(paths.mounted, serialise(await forge(key, claimsFor(f.admin, nowS() - 10)), 'x', new Date()));
  const again = await activate({ env, ci: noCi, paths });
  assert.equal(again.activated && again.licenseFile, paths.mounted);
});

test('an aborted activation rejects (a signal to the container)', async () => {
  const controller = new AbortController();
  const pending = activate({ env: envFor({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: 'http://127.0.0.1:9/v1', ACTIVATION_TIMEOUT: '30' }), ci: noCi, paths: missing, signal: controller.signal });
  controller.abort(new Error('SIGTERM'));
  await assert.rejects(pending, /SIGTERM/);
});

test('an invalid variable throws a ConfigError naming it', async () => {
  await assert.rejects(activate({ env: { ACTIVATE_PRO: 'maybe' }, ci: noCi }), { code: 'config.invalid', variable: 'ACTIVATE_PRO' });
});
