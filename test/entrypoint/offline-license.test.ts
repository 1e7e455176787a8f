import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serialise } from '../../src/core/cache-file.ts';
import { offlineLicenseFileText } from '../../src/core/offline-license.ts';
import { findOfflineLicense, offlineExpiryNotice, scheduleOfflineExpiryNotices } from '../../src/entrypoint/offline-license.ts';
import { assertNoSecret, baseEnv, cacheDir, childView, listen, nowS, refusedEndpoint, run, SHOW_ENV, start, waitFor } from '../helpers/entrypoint.ts';
import { claimsFor, forge, forgeOffline, offlineClaimsFor, testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { ROOT } from '../helpers/paths.ts';
import { ADMIN_TOKEN, api, fixture, getHealth, startServer, tempDir, type RunningServer } from '../helpers/server.ts';

// The entrypoint as a real process with an offline license (issue 21): a file issued by the real server, no
// credential, and an API endpoint that counts every connection made to it (there must be none).
const f = fixture();
(f.seed as { workspaces: { license: { seats: number } }[] }).workspaces[0]!.license.seats = 10;
let server: RunningServer;
let trusted: string;
let key: TestKey;
let issued: string;
let refused: string;
const counter = createServer((socket: Socket) => {
  connections += 1;
  socket.destroy();
});
let connections = 0;
let counted: string;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

async function issue(name: string, days: number): Promise<string> {
  const r = await api(server, 'POST', '/admin/v1/workspaces/ws-acme/offline-licenses', { token: ADMIN_TOKEN, body: { name, seats: 1, validUntil: inDays(days) } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const path = join(tempDir(), 'license.json');
  writeFileSync(path, r.json.file);
  return path;
}

before(async () => {
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  key = await testKey();
  trusted = writeJwks(tempDir(), [...(await api(server, 'GET', '/.well-known/jwks.json')).json.keys, key.jwk]);
  issued = await issue('build-farm', 200);
  refused = await refusedEndpoint();
  counted = `http://${await listen(counter)}/v1`;
});
after(async () => {
  await server.stop();
  counter.close();
});

/** No credential; the license server "reachable" only at the counting port. */
const env = (extra: Record<string, string | undefined> = {}) =>
  baseEnv({ API_ENDPOINT: counted, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '3', ...extra });

function refusedWith(r: Awaited<ReturnType<typeof run>>, reason: RegExp): void {
  assert.equal(r.code, 55, r.stderr);
  assert.ok(r.stderr.includes('License activation failed! 🔑❌'), r.stderr);
  assert.match(r.stderr, reason);
}

test('no credential, the issued file at LOCALSTACK_LICENSE_FILE: Pro with LICENSE_MODE=offline-license, the server never contacted', async () => {
  const before = connections;
  const r = await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: issued }));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(childView(r), { pro: '1', mode: 'offline-license', file: issued });
  assert.match(r.stderr, /Successfully activated offline license off-[0-9a-f-]+ for build-farm \(workspace Acme, 1 seat\)/);
  assert.doesNotMatch(r.stderr, /ends in/, 'no notice 200 days ahead');
  assert.equal(connections, before, 'no connection to the license server');
});

test('refused with its reason (exit 55): one byte altered, expired, a 24-hour license in its place, a missing named file', async () => {
  const text = readFileSync(issued, 'utf8');
  const jws = JSON.parse(text).license as string;
  const i = jws.lastIndexOf('.') + 5;
  const altered = join(tempDir(), 'license.json');
  writeFileSync(altered, text.replace(jws, jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1)));
  refusedWith(await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: altered })), /The offline license is not genuine: .*signature does not verify/);

  const expiredClaims = offlineClaimsFor(nowS() - 40 * 86_400, 30, { installation: 'ship-7' });
  const expired = join(tempDir(), 'license.json');
  writeFileSync(expired, offlineLicenseFileText(await forgeOffline(key, expiredClaims), expiredClaims));
  const e = await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: expired }));
  refusedWith(e, /The offline license has expired: .*ship-7 \(workspace Test\) expired at .*Ask an owner or admin of the workspace for a new offline license file/);

  const daily = join(tempDir(), 'license.json');
  writeFileSync(daily, serialise(await forge(key, claimsFor('ls-whatever', nowS() - 60)), 'x', new Date()));
  refusedWith(await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: daily })), /The file is not an offline license: .*24-hour activation license/);

  refusedWith(await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: join(tempDir(), 'nothing.json') })), /The offline license file cannot be read/);
  const none = await run(SHOW_ENV, env({ ACTIVATE_PRO: '0', LOCALSTACK_LICENSE_FILE: expired }));
  assert.equal(none.code, 0);
  assert.deepEqual(childView(none), { pro: '0', mode: 'none', file: '' });
  assert.equal(connections, 0, 'none of them contacted the server');
});

test('with a credential as well: the online activation wins, and the offline license is the fallback when the server cannot be reached', async () => {
  const online = await run(SHOW_ENV, env({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `${server.url}/v1`, LOCALSTACK_LICENSE_FILE: issued }));
  assert.equal(online.code, 0, online.stderr);
  assert.equal(childView(online).mode, 'online');
  const fallback = await run(SHOW_ENV, env({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LOCALSTACK_LICENSE_FILE: issued }));
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.deepEqual(childView(fallback), { pro: '1', mode: 'offline-license', file: issued });
  assert.match(fallback.stderr, /could not be reached .*; using the offline license instead/);
  assertNoSecret(fallback.stdout + fallback.stderr, [f.admin]);
  const expiredClaims = offlineClaimsFor(nowS() - 40 * 86_400, 30);
  const expired = join(tempDir(), 'license.json');
  writeFileSync(expired, offlineLicenseFileText(await forgeOffline(key, expiredClaims), expiredClaims));
  const neither = await run(SHOW_ENV, env({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LOCALSTACK_LICENSE_FILE: expired }));
  refusedWith(neither, /could not be reached .*the offline license cannot be used either \(.*expired at/);
});

test('warns 30 and 7 days before the end: at the start and, for a container that runs on, when each day comes', async () => {
  const soon = await issue('soon', 20);
  const r = await run(SHOW_ENV, env({ LOCALSTACK_LICENSE_FILE: soon }));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /The offline license off-[0-9a-f-]+ for soon ends in 19 days .*Ask an owner or admin/);
  const found = await findOfflineLicense({ LOCALSTACK_LICENSE_FILE: soon }, trusted, new Date());
  assert.ok(found.found && 'verified' in found);
  const exp = found.verified.claims.exp * 1000;
  assert.equal(offlineExpiryNotice(found.verified, new Date(exp - 31 * 86_400_000)), undefined);
  assert.match(offlineExpiryNotice(found.verified, new Date(exp - 6.5 * 86_400_000))!, /ends in 6 days/);
  // A clock that jumps: each notice fires once its day has come.
  let t = exp - 30 * 86_400_000 - 50;
  const lines: string[] = [];
  const stop = scheduleOfflineExpiryNotices(found.verified, (l) => lines.push(l), () => new Date(t));
  t += 60;
  await waitFor(() => lines.length === 1);
  assert.match(lines[0]!, /ends in (29|30) days/);
  stop();
});

test('the demo product verifies the offline license itself: Pro services with LICENSE_MODE=offline-license, none for a 24-hour verifier', async () => {
  const p = start([join(ROOT, 'dist/pro-emulator.js')], env({ LOCALSTACK_LICENSE_FILE: issued, GATEWAY_LISTEN: '127.0.0.1:0' }), { command: join(ROOT, 'entrypoint/docker-entrypoint') });
  try {
    await waitFor(() => /Listening on 127\.0\.0\.1:\d+/.test(p.output()));
    const url = `http://127.0.0.1:${/Listening on 127\.0\.0\.1:(\d+)/.exec(p.output())![1]}`;
    const health = await getHealth(url);
    assert.equal(health.edition, 'pro');
    assert.equal(health.services.xray, 'available');
  } finally {
    p.child.kill('SIGTERM');
    await p.done;
  }
  assert.match(p.output(), /Pro features enabled for Acme/);
  // The same file, told it is a 24-hour license: the product does not take it.
  const q = start([join(ROOT, 'dist/pro-emulator.js')], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0', LICENSE_TRUSTED_KEYS: trusted, LICENSE_FILE: issued, LICENSE_MODE: 'online', LOCALSTACK_AUTH_TOKEN: f.admin, PRO_ACTIVATED: '1' }), { command: process.execPath });
  try {
    await waitFor(() => /Listening on/.test(q.output()));
  } finally {
    q.child.kill('SIGTERM');
    await q.done;
  }
  assert.match(q.output(), /running without Pro features \(.*license\.wrong_type/);
});
