// The built image, run as `docker run` would run it, against a real license server on the host.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getHealth, fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { Container, HOST_FROM_CONTAINER, IMAGE_UID, podman, trustServerKeys, IMAGE } from './podman.ts';

const SUCCESS = /Successfully activated license lic-[\w-]+:subscription 🔑✅/;
const READY = /pro-emulator: Ready\. Listening on 0\.0\.0\.0:4566/;

describe('the image with a token and a reachable license server', () => {
  const f = fixture();
  let server: RunningServer;
  let env: Record<string, string>;
  let args: string[];

  before(async () => {
    server = await startServer({ seed: f.seed });
    const keys = trustServerKeys(join(server.dataDir, 'public/jwks.json'));
    args = keys.args;
    env = { ...keys.env, API_ENDPOINT: `http://${HOST_FROM_CONTAINER}:${server.port}/v1`, LOCALSTACK_AUTH_TOKEN: f.admin };
  });
  after(() => server.stop());

  test('activates (success line), serves the Pro edition, tini is PID 1, everything runs as the non-root user, the HEALTHCHECK is healthy; podman stop ends it with 0', async (t) => {
    const c = await Container.start({ args, env });
    try {
      const logs = await c.waitForLog(READY);
      assert.match(logs, SUCCESS);
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

      const hc = await podman(['healthcheck', 'run', c.name]);
      assert.equal(hc.code, 0, `healthcheck: ${hc.stdout} ${hc.stderr}`);
      assert.equal(await c.inspect('{{.State.Health.Status}}'), 'healthy');

      const t0 = performance.now();
      const stop = await podman(['stop', '-t', '10', c.name]);
      t.diagnostic(`podman stop took ${Math.round(performance.now() - t0)} ms (grace period 10 s)`);
      assert.equal(stop.code, 0, stop.stderr);
      // 0, not 137: it ended by itself before podman's grace period ran out and SIGKILL followed.
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
      assert.equal((await podman(['stop', '-t', '10', c.name])).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });

  test('--read-only --user 1234 with a volume that user cannot write: Pro starts from memory, one warning says no offline copy was kept', async () => {
    const volume = tempDir('pa-volume-ro-');
    mkdirSync(join(volume, 'cache'), { mode: 0o755 });
    // --read-only-tmpfs=false: no writable /tmp either, as under Docker's --read-only (podman mounts one by default).
    const c = await Container.start({ args: ['--read-only', '--read-only-tmpfs=false', '--user', '1234:1234', '-v', `${volume}:/var/lib/localstack`, ...args], env });
    try {
      const logs = await c.waitForLog(READY);
      assert.match(logs, SUCCESS);
      const warnings = [...logs.matchAll(/Warning: [^\n]*/g)].map((m) => m[0]);
      assert.equal(warnings.length, 1, logs);
      assert.match(warnings[0]!, /held in memory \(\/dev\/shm\/.*a restart without the license server cannot start Pro/);
      assert.equal((await getHealth(await c.gateway())).edition, 'pro', 'the product verified the license held in memory');
      assert.equal((await podman(['stop', '-t', '10', c.name])).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });

  test('podman kill -s INT reaches the product too: exit 0', async () => {
    const c = await Container.start({ args, env });
    try {
      await c.waitForLog(READY);
      assert.equal((await podman(['kill', '-s', 'INT', c.name])).code, 0);
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
      assert.equal((await podman(['stop', '-t', '10', c.name])).code, 0);
      assert.equal(await c.wait(), 0);
    } finally {
      await c.remove();
    }
  });
});

describe('docker run IMAGE --flag', () => {
  test('a first argument that starts with - goes to the default command: --help is pro-emulator --help', async () => {
    const r = await podman(['run', '--rm', '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: pro-emulator \[--help\] \[--version\]$/m);
    const version = await podman(['run', '--rm', '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, '--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+$/m);
  });

  test('a command that does not start with - replaces the default one', async () => {
    const r = await podman(['run', '--rm', '-e', 'ACTIVATE_PRO=0', '-e', 'LOG_LICENSE_ISSUES=0', IMAGE, 'node', '-e', 'console.log(process.env.PRO_ACTIVATED, process.env.LICENSE_MODE)']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0 none');
  });
});
