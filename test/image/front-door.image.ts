// What a user types, under podman and under the Docker engine with its bridge (in its own network namespace):
// `localstack start -d` (DOCKER_CMD=podman, or docker by default), then `localstack status` / `license show`;
// `compose.yaml` brought up with podman-compose or docker-compose; the README's `docker run -p 4566:4566 …`.
// All publish the fixed ports 4566 and 4510-4559.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { CLI_DEFAULTS } from '../../src/cli/constants.ts';
import { ROOT } from '../helpers/paths.ts';
import { fixture, getHealth, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { ENGINE, engine, HOST_FROM_CONTAINER, IMAGE, IMAGE_UID, onlyOn, REMOVE, uniqueName } from './engine.ts';

const GATEWAY = `http://127.0.0.1:${CLI_DEFAULTS.gatewayPort}`;
/** compose.yaml publishes the license server here. */
const COMPOSE_SERVER_PORT = 8080;

/** The fixed ports must be free, or the test would talk to someone else's LocalStack or license server. */
async function assertPortFree(port: number = CLI_DEFAULTS.gatewayPort): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (e) => reject(new Error(`127.0.0.1:${port} is in use; stop what listens there to run this test (${(e as NodeJS.ErrnoException).code})`)));
    probe.listen(port, '127.0.0.1', () => resolve());
  });
  await new Promise((r) => probe.close(r));
}

/** A CA certificate of our own, as a corporate proxy's would be. */
function caCertificate(dir: string): string {
  const path = join(dir, 'corporate-ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'corporate-ca.key'), '-out', path, '-days', '1', '-subj', '/CN=corporate test CA'], { stdio: 'ignore', timeout: 20_000 });
  return path;
}

/** Polls `check` until it holds; bounded. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

const skip = onlyOn('podman', 'docker-bridge');

describe(`localstack start -d with ${ENGINE.cli === 'podman' ? 'DOCKER_CMD=podman' : 'the default DOCKER_CMD (docker)'}`, { skip }, () => {
  const f = fixture();
  let server: RunningServer;
  let env: Record<string, string>;
  const cli = (args: string[]) => execa(process.execPath, [join(ROOT, 'dist/localstack.js'), ...args], { env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });

  before(async () => {
    await assertPortFree();
    server = await startServer({ seed: f.seed, args: ['--host', ENGINE.serverHost] });
    const home = tempDir('pa-home-');
    env = {
      ...ENGINE.clientEnv, PATH: process.env.PATH!, HOME: home, LOCALSTACK_CONFIG_DIR: join(home, 'config'), LOCALSTACK_VOLUME_DIR: join(home, 'volume'),
      IMAGE_NAME: IMAGE, LOCALSTACK_HOST: `127.0.0.1:${CLI_DEFAULTS.gatewayPort}`, LOCALSTACK_AUTH_TOKEN: f.admin,
      API_ENDPOINT: `http://${HOST_FROM_CONTAINER}:${server.port}/v1`,
      // Host paths: the CLI mounts both files and points the variables at the mounted copies.
      LICENSE_TRUSTED_KEYS: join(server.dataDir, 'public/jwks.json'),
      NODE_EXTRA_CA_CERTS: caCertificate(home),
    };
  });
  after(async () => {
    await engine([...REMOVE, CLI_DEFAULTS.containerName]);
    await server.stop();
  });

  test('the container activates; status and license show describe it; the license persists in the volume the CLI made', async () => {
    const volume = env.LOCALSTACK_VOLUME_DIR;
    assert.ok(!existsSync(volume), 'the test starts without the folder');
    const start = await cli(['start', '-d']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    assert.match(String(start.stdout), new RegExp(`LocalStack is starting in the background\\. Follow the logs with: ${ENGINE.cli} logs -f localstack-main`));
    assert.equal(statSync(volume).uid, IMAGE_UID, 'the CLI made the volume folder for the image\'s user');

    const status = await eventually('localstack status', async () => {
      const r = await cli(['status']);
      return r.exitCode === 0 ? String(r.stdout) : undefined;
    });
    assert.match(status, /pro edition/);
    assert.match(status, /^xray \(pro\) +available$/m);
    const logs = await engine(['logs', CLI_DEFAULTS.containerName]);
    assert.match(logs.stdout + logs.stderr, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
    assert.doesNotMatch(logs.stdout + logs.stderr, /Ignoring extra certs/, 'the CA file named by NODE_EXTRA_CA_CERTS is there inside');
    assert.ok(!(logs.stdout + logs.stderr).includes(f.admin));
    const inspect = await engine(['inspect', '--format', '{{json .Config.Env}}', CLI_DEFAULTS.containerName]);
    const inside = JSON.parse(inspect.stdout) as string[];
    assert.ok(inside.includes('NODE_EXTRA_CA_CERTS=/etc/localstack/ca/extra-ca-certs.pem'));
    assert.ok(inside.includes('LICENSE_TRUSTED_KEYS=/etc/localstack/keys/trusted-keys.json'));

    const license = join(volume, 'cache/license.json');
    assert.equal(statSync(license).uid, IMAGE_UID, 'written by the container\'s user into the host folder');
    const show = await cli(['license', 'show']);
    assert.equal(show.exitCode, 0, String(show.stderr));
    assert.match(String(show.stdout), /Workspace: +Acme \(ws-acme\)/);
    assert.match(String(show.stdout), /Plan: +pro/);
    assert.match(String(show.stdout), /Offline validity: +2[34] h \d+ min left/);

    assert.equal((await engine(['stop', '-t', '10', CLI_DEFAULTS.containerName])).code, 0);
    assert.ok(existsSync(license), 'the license outlives the container (--rm)');
  });
});

const COMPOSE = ENGINE.compose.command;

describe(`compose.yaml under ${COMPOSE}`, { skip }, () => {
  const project = `pa-compose-${process.pid}`;
  let dir: string;
  const compose = (args: string[], extra: Record<string, string> = {}) =>
    execa(COMPOSE, ['-p', project, '-f', join(dir, 'compose.yaml'), ...args], { cwd: dir, env: { ...ENGINE.clientEnv, PATH: process.env.PATH, ...extra }, extendEnv: false, reject: false, timeout: 180_000, stdin: 'ignore' });

  before(async () => {
    await assertPortFree();
    await assertPortFree(COMPOSE_SERVER_PORT);
    // A copy: compose.yaml's ./license-data must not land in the repository.
    dir = tempDir('pa-compose-');
    mkdirSync(join(dir, 'examples'));
    copyFileSync(join(ROOT, 'compose.yaml'), join(dir, 'compose.yaml'));
    copyFileSync(join(ROOT, 'examples/seed.json'), join(dir, 'examples/seed.json'));
  });
  after(async () => {
    // podman-compose 1.0's down -v leaves the anonymous volume of the image's VOLUME behind: remove the containers with theirs first.
    const ids = (await engine(['ps', '-a', '-q', '--filter', `label=${ENGINE.compose.projectLabel}=${project}`])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await engine([...REMOVE, ...ids]);
    await compose(['down', '-v', '-t', '2']);
    await engine(['network', 'rm', `${project}_default`]);
  });

  test('up: the license server and the Pro image together, the Pro container activating against the server', async () => {
    const seed = JSON.parse(readFileSync(join(dir, 'examples/seed.json'), 'utf8'));
    const token: string = seed.workspaces[0].members[0].authToken;
    const up = await compose(['up', '-d'], { LOCALSTACK_AUTH_TOKEN: token });
    assert.notEqual(up.exitCode, undefined, `${COMPOSE} cannot be run (${(up as { code?: string }).code}): apt-get install ${COMPOSE} (.ci/run does)`);
    assert.equal(up.exitCode, 0, `${up.stdout}\n${up.stderr}`);
    const health = await eventually('the Pro container\'s health', async () => {
      const h = await getHealth(GATEWAY);
      return h.edition === 'pro' ? h : undefined;
    }, 60_000);
    assert.equal(health.services.xray, 'available');
    const logs = await engine(['logs', `${project}_localstack_1`]);
    assert.match(logs.stdout + logs.stderr, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
    assert.ok(!(logs.stdout + logs.stderr).includes(token));
    const adminEnv = await engine(['inspect', '--format', '{{json .Config.Env}}', `${project}_license-server_1`]);
    assert.ok(!(JSON.parse(adminEnv.stdout) as string[]).some((e) => e.startsWith('ADMIN_TOKEN=')), 'no admin API unless the host sets ADMIN_TOKEN');
    // The server is published on the host's loopback, as the README says.
    const res = await fetch(`http://127.0.0.1:${COMPOSE_SERVER_PORT}/health`);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});

describe('the README\'s docker run: -p 4566:4566 -p 4510-4559:4510-4559', { skip }, () => {
  const f = fixture();
  let server: RunningServer;
  const name = uniqueName('pa-readme');

  before(async () => {
    await assertPortFree();
    server = await startServer({ seed: f.seed, args: ['--host', ENGINE.serverHost] });
  });
  after(async () => {
    await engine([...REMOVE, name]);
    await server.stop();
  });

  test('the container activates and serves on the published 4566; the service ports are published beside it', async () => {
    // The README's ports exactly where the engine is confined to its own namespace; on podman, the host's loopback only.
    const host = ENGINE.kind === 'docker-bridge' ? '' : '127.0.0.1:';
    const jwks = join(server.dataDir, 'public/jwks.json');
    const r = await engine(['run', '--rm', '-d', '--name', name, '-p', `${host}4566:4566`, '-p', `${host}4510-4559:4510-4559`,
      '-e', 'LOCALSTACK_AUTH_TOKEN', '-e', `API_ENDPOINT=http://${HOST_FROM_CONTAINER}:${server.port}/v1`,
      '-v', `${jwks}:/etc/localstack/keys/jwks.json:ro`, '-e', 'LICENSE_TRUSTED_KEYS=/etc/localstack/keys/jwks.json', IMAGE], { env: { LOCALSTACK_AUTH_TOKEN: f.admin } });
    assert.equal(r.code, 0, r.stderr);
    const health = await eventually('the published gateway', async () => {
      const h = await getHealth(GATEWAY);
      return h.edition === 'pro' ? h : undefined;
    });
    assert.equal(health.services.xray, 'available');
    const ports = (await engine(['port', name])).stdout;
    for (const port of [4566, 4510, 4559]) assert.match(ports, new RegExp(`^${port}/tcp -> [\\d.]+:${port}$`, 'm'), ports);
    const logs = await engine(['logs', name]);
    assert.match(logs.stdout + logs.stderr, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
    assert.equal((await engine(['stop', '-t', '10', name])).code, 0);
  });
});
