// The built image, run as `docker run` would run it, against a real license server on the host.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HASH_LENGTH } from '../../scripts/code-cache.ts';
import { getHealth, fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { Container, ENGINE, engine, HOST_FROM_CONTAINER, IMAGE, IMAGE_UID, PRODUCT_READY, RUN_DEFAULTS, trustServerKeys } from './engine.ts';

const SUCCESS = /Successfully activated license lic-[\w-]+:subscription 🔑✅/;
const READY = PRODUCT_READY;

describe('the image with a token and a reachable license server', () => {
  const f = fixture();
  let server: RunningServer;
  let env: Record<string, string>;
  let args: string[];

  before(async () => {
    server = await startServer({ seed: f.seed, args: ['--host', ENGINE.serverHost] });
    const keys = trustServerKeys(join(server.dataDir, 'public/jwks.json'));
    args = keys.args;
    env = { ...keys.env, API_ENDPOINT: `http://${HOST_FROM_CONTAINER}:${server.port}/v1`, LOCALSTACK_AUTH_TOKEN: f.admin };
  });
  after(() => server.stop());

  test('activates (success line), serves the Pro edition, tini is PID 1, everything runs as the non-root user, the HEALTHCHECK is healthy; stop ends it with 0', async (t) => {
    const t0 = performance.now();
    const c = await Container.start({ args, env });
    try {
      const logs = await c.waitForLog(READY, 30_000, 20);
      t.diagnostic(`${ENGINE.kind}: run -d to Ready. in ${Math.round(performance.now() - t0)} ms (logs polled every 20 ms)`);
      assert.match(logs, SUCCESS);
      // LocalStack's own ready line, alone on stdout: testcontainers-python waits for `Ready\.\n`, testcontainers-java
      // for a line matching `.*Ready\.\n`, teams' scripts `grep '^Ready\.'` the logs.
      const { stdout } = await c.streams();
      assert.match(stdout, /^Ready\.\n/m);
      assert.ok(stdout.split(/(?<=\n)/).some((l) => /^.*Ready\.\n$/.test(l)));
      assert.ok(!logs.includes(f.admin), 'the token is never printed');
      const health = await getHealth(await c.gateway());
      assert.equal(health.edition, 'pro');
      assert.equal(health.services.xray, 'available');

      const procs = await c.processes();
      const pid1 = procs.find((p) => p.pid === 1);
      assert.match(pid1?.args ?? '', /^tini -- \/opt\/pro-activation\/entrypoint\/docker-entrypoint pro-emulator/, JSON.stringify(procs));
      assert.ok(procs.some((p) => /pro-emulator/.test(p.args) && p.pid !== 1), 'the product runs under the entrypoint');
      assert.deepEqual([...new Set(procs.map((p) => p.user))], ['localstack'], 'no process runs as root');
      assert.equal((await c.exec(['id', '-u'])).stdout.trim(), String(IMAGE_UID));
      // The entrypoint's code cache was made by the image's own Node: V8 reads it (it names each cache by its size).
      const cacheBytes = Number((await c.exec(['stat', '-c', '%s', '/opt/pro-activation/dist/main/docker-entrypoint.cache'])).stdout) - HASH_LENGTH;
      const usage = await c.exec(['node', '--profile-deserialization', '/opt/pro-activation/dist/docker-entrypoint.js']);
      assert.equal(usage.code, 64, usage.stderr);
      assert.match(usage.stdout, new RegExp(`\\[Deserializing from ${cacheBytes} bytes took`), `the code cache is read:\n${usage.stdout}`);

      assert.equal(await c.health(), 'healthy');

      const t1 = performance.now();
      const stop = await c.stop(10);
      t.diagnostic(`${ENGINE.cli} stop took ${Math.round(performance.now() - t1)} ms (grace period 10 s)`);
      assert.equal(stop.code, 0, stop.stderr);
      // 0, not 137: it ended by itself before the engine's grace period ran out and SIGKILL followed.
      assert.equal(await c.wait(), 0);
      assert.match(await c.logs(), /pro-emulator: SIGTERM received, shutting down/);
    } finally {
      await c.remove();
    }
  });

  test('under an arbitrary uid (--user 4321:4321, as localstack start runs it for a host user): activates, writes the cache as that user, no HOME needed', async () => {
    const volume = tempDir('pa-volume-');
    mkdirSync(join(volume, 'cache'), { mode: 0o700 });
    for (const path of [volume, join(volume, 'cache')]) chownSync(path, 4321, 4321);
    chmodSync(volume, 0o700);
    const c = await Container.start({ args: ['--user', '4321:4321', '-v', `${volume}:/var/lib/localstack`, ...args], env });
    try {
      const logs = await c.waitForLog(READY);
      assert.match(logs, SUCCESS);
      assert.doesNotMatch(logs, /EACCES|EPERM|permission denied|cannot (write|save)/i);
      assert.deepEqual([...new Set((await c.processes()).map((p) => p.user))], ['4321'], 'every process runs as the uid given');
      assert.equal((await c.exec(['id', '-u'])).stdout.trim(), '4321');
      const cacheOwner = await c.exec(['node', '-e', "process.stdout.write(String(require('node:fs').statSync(require('node:os').tmpdir() + '/node-compile-cache').uid))"]);
      assert.equal(cacheOwner.stdout, '4321', `the compile cache is written where this uid can: ${cacheOwner.stderr}`);
      const st = statSync(join(volume, 'cache', 'license.json'));
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [4321, 4321, 0o600], 'the cached license belongs to the host user');
      const health = await getHealth(await c.gateway());
      assert.equal(health.edition, 'pro');
      assert.equal((await c.stop(10)).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });

  test('--read-only --user 1234 with a volume that user cannot write: Pro starts from memory, one warning says no offline copy was kept', async () => {
    const volume = tempDir('pa-volume-ro-');
    mkdirSync(join(volume, 'cache'), { mode: 0o755 });
    const c = await Container.start({ args: [...ENGINE.readOnly, '--user', '1234:1234', '-v', `${volume}:/var/lib/localstack`, ...args], env });
    try {
      const logs = await c.waitForLog(READY);
      assert.match(logs, SUCCESS);
      const warnings = [...logs.matchAll(/Warning: [^\n]*/g)].map((m) => m[0]);
      assert.equal(warnings.length, 1, logs);
      assert.match(warnings[0]!, /held in memory \(\/dev\/shm\/.*a restart without the license server cannot start Pro/);
      assert.equal((await getHealth(await c.gateway())).edition, 'pro', 'the product verified the license held in memory');
      assert.equal((await c.stop(10)).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });

  test('kill -s INT reaches the product too: exit 0', async () => {
    const c = await Container.start({ args, env });
    try {
      await c.waitForLog(READY);
      assert.equal((await c.kill('INT')).code, 0);
      assert.equal(await c.wait(), 0);
      assert.match(await c.logs(), /pro-emulator: SIGINT received, shutting down/);
    } finally {
      await c.remove();
    }
  });
});

describe('the image without a working license', () => {
  test('no token: the banner, exit 55, the product never starts', async () => {
    const c = await Container.start({ publish: false });
    try {
      assert.equal(await c.wait(), 55);
      const logs = await c.logs();
      assert.match(logs, /License activation failed! 🔑❌\n\nReason: No credentials are set\./);
      assert.match(logs, /Due to this error, Localstack has quit\./);
      assert.doesNotMatch(logs, /pro-emulator/);
    } finally {
      await c.remove();
    }
  });

  test('ACTIVATE_PRO=0: the banner, then the community edition; exit 0 on stop', async () => {
    const c = await Container.start({ env: { ACTIVATE_PRO: '0' } });
    try {
      const logs = await c.waitForLog(READY);
      assert.match(logs, /Due to this error, LocalStack will start without pro features\./);
      const health = await getHealth(await c.gateway());
      assert.equal(health.edition, 'community');
      assert.equal(health.services.xray, undefined);
      assert.equal((await c.stop(10)).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });
});

describe('docker run IMAGE --flag', () => {
  test('a first argument that starts with - goes to the default command: --help is pro-emulator --help', async () => {
    const r = await engine(['run', '--rm', ...RUN_DEFAULTS, '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: pro-emulator \[--help\] \[--version\]/m);
    const version = await engine(['run', '--rm', ...RUN_DEFAULTS, '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, '--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+$/m);
  });

  test('a command that does not start with - replaces the default one', async () => {
    const r = await engine(['run', '--rm', ...RUN_DEFAULTS, '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, 'node', '-e', 'console.log(process.env.PRO_ACTIVATED, process.env.LICENSE_MODE)']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0 none');
  });
});
