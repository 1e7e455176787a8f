// An air-gapped installation (issue 21): the real image with --network none, no credential, the offline license
// issued by the real server mounted read-only; and the same file altered, expired, or a 24-hour license in its place.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { offlineLicenseFileText } from '../../src/core/offline-license.ts';
import { forgeOffline, offlineClaimsFor, testKey, type TestKey } from '../helpers/keys.ts';
import { ADMIN_TOKEN, api, fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { Container, KEYS_IN_CONTAINER } from './engine.ts';

const READY = /pro-emulator: Ready\. Listening on 0\.0\.0\.0:4566/;
const MOUNTED = '/etc/localstack/conf.d/license.json';
const f = fixture();
(f.seed as { workspaces: { license: { seats: number } }[] }).workspaces[0]!.license.seats = 5;
let server: RunningServer;
let key: TestKey;
let jwks: string;
let issued: string;
let daily: string;

const file = (text: string) => {
  const path = join(tempDir(), 'license.json');
  writeFileSync(path, text, { mode: 0o644 });
  return path;
};

before(async () => {
  server = await startServer({ seed: f.seed });
  key = await testKey();
  // The server's keys, and one more that the tests sign an expired license with (the server issues none).
  const serverKeys = (await api(server, 'GET', '/.well-known/jwks.json')).json.keys;
  jwks = file(JSON.stringify({ keys: [...serverKeys, key.jwk] }));
  const r = await api(server, 'POST', '/admin/v1/workspaces/ws-acme/offline-licenses', {
    token: ADMIN_TOKEN, body: { name: 'air-gapped farm', seats: 2, validUntil: new Date(Date.now() + 180 * 86_400_000).toISOString() },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  issued = file(r.json.file);
  const activated = await api(server, 'POST', '/v1/license/activate', { token: f.admin, body: { product: 'localstack-pro', version: '4.0.0', ci: false } });
  assert.equal(activated.status, 200, JSON.stringify(activated.json));
  daily = file(JSON.stringify({ license: activated.json.license }));
  await server.kill();
});
after(async () => {
  await server.stop().catch(() => undefined);
});

/** --network none: the container has no route anywhere, and no credential. */
function airGapped(license: string): Promise<Container> {
  return Container.start({
    publish: false,
    args: ['--network', 'none', '-v', `${jwks}:${KEYS_IN_CONTAINER}:ro`, '-v', `${license}:${MOUNTED}:ro`],
    env: { LICENSE_TRUSTED_KEYS: KEYS_IN_CONTAINER },
  });
}

test('--network none, no credential, the offline license mounted read-only: Pro starts, LICENSE_MODE=offline-license', async () => {
  const c = await airGapped(issued);
  try {
    const logs = await c.waitForLog(READY);
    assert.match(logs, /Successfully activated offline license off-[0-9a-f-]+ for air-gapped farm \(workspace Acme, 2 seats\) from \/etc\/localstack\/conf\.d\/license\.json/);
    assert.match(logs, /pro-emulator: Pro features enabled for Acme/);
    const health = await c.exec(['node', '-e', "fetch('http://127.0.0.1:4566/_localstack/health').then((r) => r.text()).then((t) => process.stdout.write(t))"]);
    assert.equal(JSON.parse(health.stdout).edition, 'pro');
    const product = (await c.processes()).find((p) => /\/usr\/local\/bin\/pro-emulator/.test(p.args));
    assert.ok(product, 'the product runs');
    const environ = await c.exec(['cat', `/proc/${product.pid}/environ`]);
    const vars = Object.fromEntries(environ.stdout.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(vars.LICENSE_MODE, 'offline-license');
    assert.equal(vars.PRO_ACTIVATED, '1');
    assert.equal(vars.LICENSE_FILE, MOUNTED);
    assert.equal(vars.LOCALSTACK_AUTH_TOKEN, undefined);
  } finally {
    await c.remove();
  }
});

async function refused(license: string, reason: RegExp): Promise<void> {
  const c = await airGapped(license);
  try {
    assert.equal(await c.wait(), 55);
    const logs = await c.logs();
    assert.ok(logs.includes('License activation failed! 🔑❌'), logs);
    assert.match(logs, reason);
    assert.doesNotMatch(logs, /pro-emulator/, 'the product never started');
  } finally {
    await c.remove();
  }
}

test('the same file altered by one byte is refused as not genuine (exit 55)', async () => {
  const text = readFileSync(issued, 'utf8');
  const jws = JSON.parse(text).license as string;
  const i = jws.indexOf('.') + 20; // a byte of the signed claims
  await refused(file(text.replace(jws, jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1))), /Reason: The offline license is not genuine: .*signature does not verify/);
});

test('an expired offline license is refused with who to ask for a new file (exit 55)', async () => {
  const claims = offlineClaimsFor(Math.floor(Date.now() / 1000) - 100 * 86_400, 90, { installation: 'ship-7', ws: { id: 'ws-test', name: 'Fleet' } });
  await refused(file(offlineLicenseFileText(await forgeOffline(key, claims), claims)),
    /Reason: The offline license has expired: .*ship-7 \(workspace Fleet\) expired at .* Ask an owner or admin of the workspace for a new offline license file/);
});

test('a 24-hour license in its place is not an offline license (exit 55)', async () => {
  await refused(daily, /Reason: The file is not an offline license: .*a 24-hour activation license, not an offline license/);
});
