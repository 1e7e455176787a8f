// The image under the real Docker engine (Debian's dockerd 20.10), as a user starts it with `docker run`, against a
// real license server on the host's loopback (containers on --network host).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fixture, getHealth, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { DOCKER_IMAGE, dockerMissing, startDocker, type DockerEngine } from './docker.ts';

const skip = dockerMissing();
const READY_LINE = /^Ready\.$/m;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('the image under the Docker engine', { skip, timeout: 600_000 }, () => {
  const f = fixture();
  let engine: DockerEngine;
  let server: RunningServer;
  let keys: string[];
  let n = 0;

  before(async () => {
    engine = await startDocker();
    process.stderr.write(`docker: base loaded in ${engine.timings.loadS.toFixed(1)} s, image built in ${engine.timings.buildS.toFixed(1)} s, ${engine.timings.sizeMiB.toFixed(1)} MiB\n`);
    server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
    keys = ['-v', `${join(server.dataDir, 'public/jwks.json')}:/etc/localstack/keys/server.json:ro`, '-e', 'LICENSE_TRUSTED_KEYS=/etc/localstack/keys/server.json'];
  });
  after(async () => {
    await server?.stop();
    await engine?.stop();
  });

  const env = (extra: Record<string, string> = {}) => Object.entries({ API_ENDPOINT: `${server.url}/v1`, ...extra }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  /** docker run -d; the container's name, its gateway and a way to read its logs (stdout and stderr apart). */
  async function run(args: string[], extra: Record<string, string>) {
    const name = `pa-docker-${process.pid}-${++n}`;
    const port = await freePort();
    const started = engine.docker(['run', '-d', '--name', name, '--network', 'host', ...keys, ...env({ GATEWAY_LISTEN: `127.0.0.1:${port}`, ...extra }), ...args, DOCKER_IMAGE]);
    assert.equal(started.status, 0, started.stderr);
    const logs = () => {
      const r = engine.docker(['logs', name]);
      return { stdout: r.stdout, stderr: r.stderr };
    };
    const waitReady = async () => {
      for (let i = 0; i < 300; i++) {
        if (READY_LINE.test(logs().stdout)) return;
        if (engine.docker(['inspect', '--format', '{{.State.Running}}', name]).stdout.trim() === 'false') break;
        await sleep(100);
      }
      assert.fail(`never Ready.: ${JSON.stringify(logs())}`);
    };
    const exitCode = () => Number(engine.docker(['wait', name]).stdout.trim());
    const remove = () => engine.docker(['rm', '-f', name]);
    return { name, url: `http://127.0.0.1:${port}`, logs, waitReady, exitCode, remove };
  }

  test('no token: the banner on stderr, exit 55, the product never starts', () => {
    const r = engine.docker(['run', '--rm', '--network', 'host', ...keys, ...env(), DOCKER_IMAGE]);
    assert.equal(r.status, 55, r.stderr);
    assert.match(r.stderr, /License activation failed! 🔑❌/);
    assert.match(r.stderr, /Reason: No credentials are set/);
    assert.doesNotMatch(r.stdout, /Ready\./);
  });

  test('a valid token: activated, "Ready." alone on a stdout line (the Testcontainers wait patterns match), Pro served; docker stop → 0', async () => {
    const c = await run([], { LOCALSTACK_AUTH_TOKEN: f.admin });
    try {
      await c.waitReady();
      const { stdout, stderr } = c.logs();
      assert.match(stderr, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
      // testcontainers-python waits for `Ready\.\n`; testcontainers-java for a line matching `.*Ready\.\n`.
      assert.match(stdout, /Ready\.\n/);
      assert.ok(stdout.split(/(?<=\n)/).some((l) => /^.*Ready\.\n$/.test(l)));
      assert.equal((await getHealth(c.url)).edition, 'pro');
      const t0 = performance.now();
      assert.equal(engine.docker(['stop', '-t', '10', c.name]).status, 0);
      assert.equal(c.exitCode(), 0);
      process.stderr.write(`docker: stop answered in ${Math.round(performance.now() - t0)} ms\n`);
    } finally {
      c.remove();
    }
  });

  test('docker kill -s INT reaches the product: exit 0', async () => {
    const c = await run([], { LOCALSTACK_AUTH_TOKEN: f.admin });
    try {
      await c.waitReady();
      assert.equal(engine.docker(['kill', '-s', 'INT', c.name]).status, 0);
      assert.equal(c.exitCode(), 0);
    } finally {
      c.remove();
    }
  });

  test('--read-only --user 1234 with a volume that user cannot write: Pro starts from memory, one warning', async () => {
    const volume = tempDir('pa-docker-ro-');
    mkdirSync(join(volume, 'cache'), { mode: 0o755 });
    const c = await run(['--read-only', '--user', '1234:1234', '-v', `${volume}:/var/lib/localstack`], { LOCALSTACK_AUTH_TOKEN: f.admin });
    try {
      await c.waitReady();
      const warnings = [...c.logs().stderr.matchAll(/Warning: [^\n]*/g)];
      assert.equal(warnings.length, 1, c.logs().stderr);
      assert.match(warnings[0]![0], /held in memory \(\/dev\/shm\//);
      assert.equal((await getHealth(c.url)).edition, 'pro');
      assert.equal(engine.docker(['stop', '-t', '10', c.name]).status, 0);
      assert.equal(c.exitCode(), 0);
    } finally {
      c.remove();
    }
  });

  test('restarted with the license server down and the volume kept: an offline start from the cache', async () => {
    const volume = tempDir('pa-docker-vol-');
    mkdirSync(join(volume, 'cache'));
    // The image's user (uid 10001) writes the cache, as on a named volume.
    chmodSync(volume, 0o755);
    chmodSync(join(volume, 'cache'), 0o777);
    const online = await run(['-v', `${volume}:/var/lib/localstack`], { LOCALSTACK_AUTH_TOKEN: f.admin });
    try {
      await online.waitReady();
      engine.docker(['stop', '-t', '10', online.name]);
    } finally {
      online.remove();
    }
    const down = await startServer({ seed: f.seed });
    await down.stop();
    const offline = await run(['-v', `${volume}:/var/lib/localstack`], { LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `${down.url}/v1` });
    try {
      await offline.waitReady();
      assert.match(offline.logs().stderr, /Successfully activated cached license/);
      assert.equal((await getHealth(offline.url)).edition, 'pro');
    } finally {
      offline.remove();
    }
  });
});
