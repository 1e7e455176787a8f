// The license cached in the volume carries a second container through a license-server outage.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, getHealth, startServer, type RunningServer } from '../helpers/server.ts';
import { Container, ENGINE, HOST_FROM_CONTAINER, PRODUCT_READY, removeVolume, trustServerKeys, volume } from './engine.ts';

const READY = PRODUCT_READY;
// The product prints its view of the activation: the mode comes from the entrypoint's LICENSE_MODE.
const f = fixture();
let server: RunningServer;
let vol: string;
let keys: ReturnType<typeof trustServerKeys>;
let api: string;

before(async () => {
  server = await startServer({ seed: f.seed, args: ['--host', ENGINE.serverHost] });
  keys = trustServerKeys(join(server.dataDir, 'public/jwks.json'));
  api = `http://${HOST_FROM_CONTAINER}:${server.port}/v1`;
  vol = await volume();
  // First start, online: the license lands in the volume.
  const first = await Container.start({ args: [...keys.args, '-v', `${vol}:/var/lib/localstack`], env: { ...keys.env, API_ENDPOINT: api, LOCALSTACK_AUTH_TOKEN: f.admin } });
  try {
    assert.match(await first.waitForLog(READY), /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
  } finally {
    await first.remove();
  }
  await server.kill();
});
after(() => removeVolume(vol));

async function offlineStart(extraArgs: string[]): Promise<void> {
  const c = await Container.start({ args: [...keys.args, ...extraArgs, '-v', `${vol}:/var/lib/localstack`], env: { ...keys.env, API_ENDPOINT: api, LOCALSTACK_AUTH_TOKEN: f.admin, ACTIVATION_TIMEOUT: '3' } });
  try {
    const logs = await c.waitForLog(READY);
    assert.match(logs, /Successfully activated cached license lic-[\w-]+:subscription from \/var\/lib\/localstack\/cache\/license\.json 🔑✅/);
    assert.equal((await getHealth(await c.gateway())).edition, 'pro');
    const product = (await c.processes()).find((p) => /\/usr\/local\/bin\/pro-emulator/.test(p.args));
    assert.ok(product, 'the product runs');
    const environ = await c.exec(['cat', `/proc/${product.pid}/environ`]);
    const vars = Object.fromEntries(environ.stdout.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    assert.equal(vars.LICENSE_MODE, 'offline');
    assert.equal(vars.PRO_ACTIVATED, '1');
    assert.equal(vars.LICENSE_FILE, '/var/lib/localstack/cache/license.json');
    if (extraArgs.includes('--read-only')) assert.notEqual((await c.exec(['touch', '/tmp/probe'])).code, 0, 'the root file system is read-only');
  } finally {
    await c.remove();
  }
}

test('with the license server down, a second container starts offline from the volume\'s cached license', () => offlineStart([]));

test('the same with --read-only and only the volume writable (no tmpfs either)', () => offlineStart(ENGINE.readOnly));
