import assert from 'node:assert/strict';
import { runnableByAnyone } from '../helpers/as-another-user.ts';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentialBinding, generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { cacheFiles, credentialCacheName, serialise } from '../../src/core/cache-file.ts';
import { baseEnv, start, waitFor, type Started } from '../helpers/entrypoint.ts';
import { claimsFor, forge, testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/server.ts';

const CLI = join(ROOT, 'dist/localstack.js');

/** Runs the built CLI; `as` runs it as another host user (needs root), as a user in the docker group would. */
function cli(args: string[], env: Record<string, string>, as?: { uid: number; gid: number }) {
  // As another user: the programs from a folder that user can read, wherever this checkout lives.
  const [node, program] = as ? [runnableByAnyone().node, runnableByAnyone().cli] : [process.execPath, CLI];
  const r = spawnSync(node, [program, ...args], { env: as ? { ...env, PATH: runnableByAnyone().path } : env, cwd: as ? runnableByAnyone().cwd : undefined, encoding: 'utf8', timeout: 20_000, ...as });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stand-in for docker that records its argv and environment, then exits with FAKE_DOCKER_EXIT. */
function fakeDocker(dir: string): string {
  const path = join(dir, 'fake-docker');
  writeFileSync(path, `#!/usr/bin/env node
const fs = require('node:fs');
fs.writeFileSync(process.env.FAKE_DOCKER_RECORD, JSON.stringify({ argv: process.argv.slice(2), env: process.env }));
process.exit(Number(process.env.FAKE_DOCKER_EXIT || 0));
`);
  chmodSync(path, 0o755);
  return path;
}

let key: TestKey;
before(async () => {
  key = await testKey();
});

function home(extra: Record<string, string> = {}) {
  const dir = tempDir('pa-home-');
  return baseEnv({ HOME: dir, LOCALSTACK_CONFIG_DIR: join(dir, 'config'), LOCALSTACK_VOLUME_DIR: join(dir, 'volume'), ...extra });
}

describe('localstack auth', () => {
  test('set-token checks offline, writes auth.json 0600 in a 0700 folder, prints the contract line', () => {
    const env = home();
    const token = generateToken('developer');
    const r = cli(['auth', 'set-token', token], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Token configured successfully\n');
    const file = join(env.LOCALSTACK_CONFIG_DIR, 'auth.json');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { LOCALSTACK_AUTH_TOKEN: token });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(env.LOCALSTACK_CONFIG_DIR).mode & 0o777, 0o700);
  });

  test('a malformed token, a typo, or a legacy key is refused with the reason, and nothing is written', () => {
    const env = home();
    const token = generateToken('developer');
    for (const bad of ['ls-nope', `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`, generateLegacyKey()]) {
      const r = cli(['auth', 'set-token', bad], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error: (the token is not valid: .*\. Copy it again from https:\/\/app\.localstack\.cloud\/workspace\/auth-tokens and run: localstack auth set-token <TOKEN>|that is a legacy API key)/);
      assert.ok(!r.stderr.includes(bad) || bad === 'ls-nope', 'the refused value is not echoed');
    }
    assert.ok(!existsSync(join(env.LOCALSTACK_CONFIG_DIR, 'auth.json')));
  });

  test('show-token is masked, --plain prints it, the environment wins and it says so; clear-token removes it', () => {
    const env = home();
    const token = generateToken('developer');
    cli(['auth', 'set-token', token], env);
    const masked = cli(['auth', 'show-token'], env);
    assert.equal(masked.code, 0);
    assert.ok(masked.stdout.includes(`Auth token: ${token.slice(0, 7)}…`));
    assert.ok(masked.stdout.includes(join(env.LOCALSTACK_CONFIG_DIR, 'auth.json')));
    assert.ok(!masked.stdout.includes(token));
    assert.equal(cli(['auth', 'show-token', '--plain'], env).stdout, `${token}\n`);
    const other = generateToken('ci');
    const fromEnv = cli(['auth', 'show-token'], { ...env, LOCALSTACK_AUTH_TOKEN: other });
    assert.ok(fromEnv.stdout.includes(`Auth token: ${other.slice(0, 9)}…`));
    assert.match(fromEnv.stdout, /Source: +the LOCALSTACK_AUTH_TOKEN environment variable \(it wins over/);
    assert.equal(cli(['auth', 'clear-token'], env).code, 0);
    assert.ok(!existsSync(join(env.LOCALSTACK_CONFIG_DIR, 'auth.json')));
    const none = cli(['auth', 'show-token'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No auth token configured\. Set one with: localstack auth set-token/);
  });
});

describe('localstack start', () => {
  test('docker run: token by name only, CI and LOCALSTACK_* forwarded, ports, volume, image', () => {
    const env = home();
    const dir = tempDir();
    const record = join(dir, 'record.json');
    const token = generateToken('developer');
    cli(['auth', 'set-token', token], env);
    const r = cli(['start'], { ...env, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record, CI: 'true', LOCALSTACK_DEBUG: '1', UNRELATED: 'x' });
    assert.equal(r.code, 0, r.stderr);
    const { argv, env: dockerEnv } = JSON.parse(readFileSync(record, 'utf8'));
    assert.ok(!argv.join(' ').includes(token), 'the token is never on the command line');
    assert.equal(dockerEnv.LOCALSTACK_AUTH_TOKEN, token, 'its value is only in docker\'s environment');
    const pairs = (flag: string) => argv.flatMap((a: string, i: number) => (a === flag ? [argv[i + 1]] : []));
    assert.deepEqual(pairs('-e').sort(), ['CI', 'LOCALSTACK_AUTH_TOKEN', 'LOCALSTACK_DEBUG']);
    assert.deepEqual(pairs('-p'), ['127.0.0.1:4566:4566', '127.0.0.1:4510-4559:4510-4559']);
    assert.deepEqual(pairs('-v'), [`${env.LOCALSTACK_VOLUME_DIR}:/var/lib/localstack`]);
    assert.equal(argv[0], 'run');
    assert.equal(argv.at(-1), 'localstack/localstack-pro');
    assert.ok(!argv.includes('-d'));
  });

  test('forwards every entrypoint variable that is set, by name; mounts NODE_EXTRA_CA_CERTS and LICENSE_TRUSTED_KEYS read-only and points them there', () => {
    const env = home({ LOCALSTACK_AUTH_TOKEN: generateToken('developer') });
    const dir = tempDir();
    const record = join(dir, 'record.json');
    const ca = join(dir, 'corp-ca.pem');
    writeFileSync(ca, 'not parsed by the CLI');
    const keys = writeJwks(dir, [key.jwk]);
    const set = {
      ACTIVATE_PRO: '0', LOG_LICENSE_ISSUES: '0', LOG_FORMAT: 'json', API_ENDPOINT: 'https://license.test/v1', ACTIVATION_TIMEOUT: '3', SHUTDOWN_TIMEOUT: '2',
      HTTPS_PROXY: 'http://proxy.test:3128', HTTP_PROXY: 'http://proxy.test:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: ca, LICENSE_TRUSTED_KEYS: keys,
    };
    const r = cli(['start'], { ...env, ...set, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record });
    assert.equal(r.code, 0, r.stderr);
    const { argv, env: dockerEnv } = JSON.parse(readFileSync(record, 'utf8'));
    const pairs = (flag: string) => argv.flatMap((a: string, i: number) => (a === flag ? [argv[i + 1]] : []));
    assert.deepEqual(pairs('-e').sort(), [...Object.keys(set), 'LOCALSTACK_AUTH_TOKEN'].sort());
    assert.ok(pairs('-e').every((e: string) => !e.includes('=')), 'by name only');
    assert.ok(pairs('-v').includes(`${ca}:/etc/localstack/ca/extra-ca-certs.pem:ro`));
    assert.ok(pairs('-v').includes(`${keys}:/etc/localstack/keys/trusted-keys.json:ro`));
    assert.equal(dockerEnv.NODE_EXTRA_CA_CERTS, '/etc/localstack/ca/extra-ca-certs.pem');
    assert.equal(dockerEnv.LICENSE_TRUSTED_KEYS, '/etc/localstack/keys/trusted-keys.json');
    assert.equal(dockerEnv.API_ENDPOINT, 'https://license.test/v1');
    const missing = cli(['start'], { ...env, NODE_EXTRA_CA_CERTS: join(dir, 'nope.pem'), DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: join(dir, 'not-run.json') });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: NODE_EXTRA_CA_CERTS=.*nope\.pem is not a file; fix the path or unset NODE_EXTRA_CA_CERTS\.$/m);
    assert.ok(!existsSync(join(dir, 'not-run.json')), 'docker is not run');
  });

  test('creates the volume folder and its cache/ for the image\'s user (uid 10001) before docker runs', { skip: process.getuid?.() !== 0 && !process.env.CI ? 'needs root to chown' : false }, () => {
    const env = home({ LOCALSTACK_AUTH_TOKEN: generateToken('developer') });
    const dir = tempDir();
    const r = cli(['start'], { ...env, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: join(dir, 'record.json') });
    assert.equal(r.code, 0, r.stderr);
    for (const path of [env.LOCALSTACK_VOLUME_DIR, join(env.LOCALSTACK_VOLUME_DIR, 'cache')]) {
      const st = statSync(path);
      assert.equal(st.uid, 10001, path);
      assert.equal(st.mode & 0o777, 0o700, path);
    }
    assert.ok(!JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')).argv.includes('--user'), 'as root the image runs as its own user');
  });

  test('a host user who is not root: the container runs as them (--user UID:GID) and the volume stays theirs, 0700', { skip: process.getuid?.() !== 0 && !process.env.CI ? 'needs root to run the CLI as another user' : false }, () => {
    const user = { uid: 4321, gid: 4322 };
    const env = home({ LOCALSTACK_AUTH_TOKEN: generateToken('developer') });
    const dir = tempDir();
    chownSync(dir, user.uid, user.gid);
    chownSync(env.HOME, user.uid, user.gid);
    const record = join(dir, 'record.json');
    const r = cli(['start'], { ...env, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record }, user);
    assert.equal(r.code, 0, r.stderr);
    const { argv } = JSON.parse(readFileSync(record, 'utf8'));
    assert.equal(argv[argv.indexOf('--user') + 1], '4321:4322');
    assert.ok(argv.indexOf('--user') < argv.indexOf('localstack/localstack-pro'), 'a docker option, before the image');
    for (const path of [env.LOCALSTACK_VOLUME_DIR, join(env.LOCALSTACK_VOLUME_DIR, 'cache')]) {
      const st = statSync(path);
      assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [user.uid, user.gid, 0o700], path);
    }
  });

  test('-d detaches and says how to follow the logs; IMAGE_NAME and the exit code of docker', () => {
    const env = home({ LOCALSTACK_AUTH_TOKEN: generateToken('ci') });
    const dir = tempDir();
    const record = join(dir, 'record.json');
    const docker = fakeDocker(dir);
    const r = cli(['start', '-d'], { ...env, DOCKER_CMD: docker, FAKE_DOCKER_RECORD: record, IMAGE_NAME: 'registry.test/pro:1' });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Follow the logs with: .*fake-docker logs -f localstack-main/);
    const { argv } = JSON.parse(readFileSync(record, 'utf8'));
    assert.ok(argv.includes('-d'));
    assert.equal(argv.at(-1), 'registry.test/pro:1');
    assert.equal(cli(['start'], { ...env, DOCKER_CMD: docker, FAKE_DOCKER_RECORD: record, FAKE_DOCKER_EXIT: '7' }).code, 7);
  });

  test('a still-valid cached license is mounted read-only at /etc/localstack/conf.d/license.json; a stale one is not', async () => {
    const token = generateToken('developer');
    const env = home({ LOCALSTACK_AUTH_TOKEN: token });
    const keys = writeJwks(tempDir(), [key.jwk]);
    const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
    mkdirSync(cache, { recursive: true });
    const license = join(cache, 'license.json');
    const dir = tempDir();
    const record = join(dir, 'record.json');
    const run = () => {
      cli(['start'], { ...env, LICENSE_TRUSTED_KEYS: keys, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record });
      return JSON.parse(readFileSync(record, 'utf8')).argv as string[];
    };
    writeFileSync(license, serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 60)), 'x', new Date()));
    assert.ok(run().includes(`${license}:/etc/localstack/conf.d/license.json:ro`));
    writeFileSync(license, serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 90_000)), 'x', new Date()));
    assert.ok(!run().some((a) => a.includes('/etc/localstack/conf.d')));
    // Another credential's license.json beside this token's own file (a shared cache folder): its own file is mounted.
    writeFileSync(license, serialise(await forge(key, claimsFor(generateToken('developer'), Math.floor(Date.now() / 1000) - 60)), 'x', new Date()));
    const own = cacheFiles(cache, credentialBinding(token))[1];
    writeFileSync(own, serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 60)), 'x', new Date()));
    assert.ok(run().includes(`${own}:/etc/localstack/conf.d/license.json:ro`));
  });

  test('with no token anywhere it says how to set one and starts nothing', () => {
    const env = home();
    const dir = tempDir();
    const record = join(dir, 'record.json');
    const r = cli(['start'], { ...env, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No auth token configured.*localstack auth set-token <TOKEN>/);
    assert.ok(!existsSync(record));
  });

  test('a missing docker binary is a clear error', () => {
    const r = cli(['start'], home({ LOCALSTACK_AUTH_TOKEN: generateToken('developer'), DOCKER_CMD: 'no-such-docker' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot run no-such-docker: ENOENT\. Install Docker, or set DOCKER_CMD/);
  });
});

describe('localstack status and license show', () => {
  let product: Started;
  let port: number;
  const token = generateToken('developer');
  let keys: string;
  let licenseFile: string;

  before(async () => {
    keys = writeJwks(tempDir(), [key.jwk]);
    licenseFile = join(tempDir(), 'license.json');
    writeFileSync(licenseFile, serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 3600)), 'x', new Date()));
    product = start([join(ROOT, 'dist/pro-emulator.js')], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0', LICENSE_FILE: licenseFile, LICENSE_TRUSTED_KEYS: keys, LOCALSTACK_AUTH_TOKEN: token }), { command: process.execPath });
    await waitFor(() => /Listening on 127\.0\.0\.1:\d+/.test(product.output()));
    port = Number(/Listening on 127\.0\.0\.1:(\d+)/.exec(product.output())![1]);
  });
  after(async () => {
    product.child.kill('SIGTERM');
    await product.done;
  });

  test('status prints the health as a table with Pro services marked', () => {
    const r = cli(['status'], home({ LOCALSTACK_HOST: `127.0.0.1:${port}` }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pro edition, version \d/);
    assert.match(r.stdout, /^SERVICE +STATE$/m);
    assert.match(r.stdout, /^xray \(pro\) +available$/m);
    assert.match(r.stdout, /^s3 +available$/m);
  });

  test('status says so when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closed = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const r = cli(['status'], home({ LOCALSTACK_HOST: `127.0.0.1:${closed}` }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`LocalStack is not running at http://127\\.0\\.0\\.1:${closed}/_localstack/health \\(ECONNREFUSED\\)\\. Start it with: localstack start -d`));
  });

  test('license show: workspace, plan, type, expiry and offline validity left; none; expired; not genuine', async () => {
    const env = home({ LOCALSTACK_AUTH_TOKEN: token, LICENSE_TRUSTED_KEYS: keys });
    const none = cli(['license', 'show'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No cached license at .*Run `localstack start` once while online/);
    const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'license.json'), readFileSync(licenseFile));
    const ok = cli(['license', 'show'], env);
    assert.equal(ok.code, 0, ok.stderr);
    for (const line of [/Workspace: +Test \(ws-test\)/, /Plan: +pro/, /Type: +subscription/, /License expires: +2099-01-01/, /Offline validity: +2[23] h \d+ min left/]) assert.match(ok.stdout, line);
    writeFileSync(join(cache, 'license.json'), serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 90_000)), 'x', new Date()));
    assert.match(cli(['license', 'show'], env).stderr, /cannot be used: expired \(older than 24 h\)/);
    const other = await testKey();
    writeFileSync(join(cache, 'license.json'), serialise(await forge(other, claimsFor(token, Math.floor(Date.now() / 1000))), 'x', new Date()));
    const foreign = cli(['license', 'show'], env).stderr;
    assert.match(foreign, /cannot be used: signed by an unknown key .*Check that LICENSE_TRUSTED_KEYS \(now .*trusted-keys\.json\) holds the public keys of the license server that signed it\.$/m);
    assert.doesNotMatch(foreign, /renew/, 'renewing cannot help with a key that is not trusted');
  });

  test('a cached license the user cannot read (left by an older CLI as uid 10001, 0600): one line that says how to fix it; start says so too', { skip: process.getuid?.() !== 0 && !process.env.CI ? 'needs root to run the CLI as another user' : false }, () => {
    const user = { uid: 4321, gid: 4321 };
    const env = home({ LOCALSTACK_AUTH_TOKEN: token, LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), [key.jwk]) });
    chmodSync(dirname(env.LICENSE_TRUSTED_KEYS), 0o755);
    chownSync(env.HOME, user.uid, user.gid);
    const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
    mkdirSync(cache, { recursive: true });
    chownSync(env.LOCALSTACK_VOLUME_DIR, user.uid, user.gid);
    chownSync(cache, user.uid, user.gid);
    const file = join(cache, 'license.json');
    writeFileSync(file, readFileSync(licenseFile), { mode: 0o600 });
    chownSync(file, 10001, 10001);
    const show = cli(['license', 'show'], env, user);
    assert.equal(show.code, 1);
    assert.equal(show.stderr, `Error: The cached license: you cannot read ${file} (permission denied). Make the volume yours with: sudo chown -R 4321:4321 ${env.LOCALSTACK_VOLUME_DIR}\n`);
    const dir = tempDir();
    chownSync(dir, user.uid, user.gid);
    const record = join(dir, 'record.json');
    const start = cli(['start'], { ...env, DOCKER_CMD: fakeDocker(dir), FAKE_DOCKER_RECORD: record }, user);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /^Note: you cannot read .*license\.json \(permission denied\)\. Make the volume yours with: sudo chown -R 4321:4321 /m);
    assert.ok(!JSON.parse(readFileSync(record, 'utf8')).argv.some((a: string) => a.includes('conf.d/license.json')), 'an unreadable license is not mounted');
    chownSync(file, user.uid, user.gid);
    assert.equal(cli(['license', 'show'], env, user).code, 0, 'the same user reads what its container wrote');
  });
});

test('license show warns when the license ends within 14 days, a trial within 3; not earlier', async () => {
  const token = generateToken('developer');
  const env = home({ LOCALSTACK_AUTH_TOKEN: token, LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), [key.jwk]) });
  const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
  mkdirSync(cache, { recursive: true });
  const now = Date.now();
  const show = async (type: 'subscription' | 'trial', daysLeft: number) => {
    const lic = { id: 'lic-soon', type, plan: 'pro', status: 'ACTIVE', expiresAt: new Date(now + daysLeft * 86_400_000).toISOString() };
    writeFileSync(join(cache, 'license.json'), serialise(await forge(key, claimsFor(token, Math.floor(now / 1000) - 60, { lic })), 'x', new Date()));
    const r = cli(['license', 'show'], env);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.match(await show('subscription', 10.5), /^Warning: +Your license lic-soon ends in 10 days \(.*\)\. Renew it/m);
  assert.doesNotMatch(await show('subscription', 20), /Warning/);
  assert.match(await show('trial', 2.5), /^Warning: +Your trial ends in 2 days/m);
  assert.doesNotMatch(await show('trial', 5), /Warning/);
});

test('license show: the freshest cached license that verifies for the CLI\'s token (environment, then auth.json), from license.json or the token\'s own file', async () => {
  const mine = generateToken('developer');
  const theirs = generateToken('ci');
  const env = home({ LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), [key.jwk]) });
  const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
  mkdirSync(cache, { recursive: true });
  const shared = join(cache, 'license.json');
  const own = join(cache, credentialCacheName(credentialBinding(mine)));
  const nowS = Math.floor(Date.now() / 1000);
  const write = async (path: string, token: string, iat: number, name: string) =>
    writeFileSync(path, serialise(await forge(key, claimsFor(token, iat, { ws: { id: `ws-${name}`, name } })), 'x', new Date()));
  const show = (extra: Record<string, string> = {}) => cli(['license', 'show'], { ...env, ...extra });

  // Another container's credential holds license.json; without a license of our own, that is what we are told.
  await write(shared, theirs, nowS - 60, 'Theirs');
  const foreign = show({ LOCALSTACK_AUTH_TOKEN: mine });
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /The cached license at .*license\.json cannot be used: activated with another credential/);
  assert.doesNotMatch(foreign.stderr, /ls-|lsci-/, 'no credential in the output');

  // Our own file, beside it, is the one shown.
  await write(own, mine, nowS - 120, 'Mine');
  const ok = show({ LOCALSTACK_AUTH_TOKEN: mine });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^License file: +${own.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(ok.stdout, /^Workspace: +Mine \(ws-Mine\)$/m);
  assert.equal(ok.stderr, '');

  // The other token (from auth.json this time) still sees license.json.
  assert.equal(cli(['auth', 'set-token', theirs], env).code, 0);
  const other = show();
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stdout, /^Workspace: +Theirs \(ws-Theirs\)$/m);
  assert.match(other.stdout, new RegExp(`^License file: +${shared.replaceAll('.', '\\.')}$`, 'm'));

  // Both files verify for our token: the freshest wins, wherever it is.
  await write(shared, mine, nowS - 30, 'Newer');
  assert.match(show({ LOCALSTACK_AUTH_TOKEN: mine }).stdout, /^Workspace: +Newer /m);
  await write(own, mine, nowS - 10, 'Newest');
  assert.match(show({ LOCALSTACK_AUTH_TOKEN: mine }).stdout, /^Workspace: +Newest /m);

  // Our own file expired and license.json is another credential's: both reasons, and the fix.
  await write(shared, theirs, nowS - 60, 'Theirs');
  await write(own, mine, nowS - 90_000, 'Stale');
  const stale = show({ LOCALSTACK_AUTH_TOKEN: mine });
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /license\.json: activated with another credential .*license-[0-9a-f]{12}\.json: expired \(older than 24 h\).* Run `localstack start` while online to renew it\.$/m);

  // No token known: license.json as today, and one line that says so.
  assert.equal(cli(['auth', 'clear-token'], env).code, 0);
  const anyone = show();
  assert.equal(anyone.code, 0, anyone.stderr);
  assert.match(anyone.stdout, /^Workspace: +Theirs /m);
  assert.match(anyone.stderr, /^Note: no auth token is configured, so this is .*license\.json whichever credential activated it; set yours \(localstack auth set-token\) to see its own license\.\n$/);
});

test('--help on every command exits 0; an unknown command is a usage error (2)', () => {
  const env = home();
  for (const args of [['--help'], ['auth', '--help'], ['auth', 'set-token', '--help'], ['auth', 'show-token', '--help'], ['auth', 'clear-token', '--help'], ['start', '--help'], ['status', '--help'], ['license', '--help'], ['license', 'show', '--help']]) {
    const r = cli(args, env);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /^Usage: localstack/);
  }
  assert.equal(cli(['frobnicate'], env).code, 2);
  assert.equal(cli(['auth', 'set-token'], env).code, 2, 'missing argument');
});

test('license show with odd cache entries: a folder where the token\'s file goes says to remove it; a FIFO is refused without blocking; an unsearchable cache folder is a permission problem, not "no license"', { skip: process.getuid?.() !== 0 && !process.env.CI ? 'needs root to run the CLI as another user' : false }, async () => {
  const token = generateToken('developer');
  const env = home({ LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), [key.jwk]), LOCALSTACK_AUTH_TOKEN: token });
  const cache = join(env.LOCALSTACK_VOLUME_DIR, 'cache');
  mkdirSync(cache, { recursive: true });
  const own = join(cache, credentialCacheName(credentialBinding(token)));

  mkdirSync(own);
  const folder = cli(['license', 'show'], env);
  assert.equal(folder.code, 1);
  assert.match(folder.stderr, /^Error: The cached license at .*license-[0-9a-f]{12}\.json cannot be used: .*EISDIR.*Remove the folder .*license-[0-9a-f]{12}\.json \(the license file goes there\)/m);
  assert.doesNotMatch(folder.stderr, /renew it/, 'renewing cannot replace a folder');
  rmSync(own, { recursive: true });

  assert.equal(spawnSync('mkfifo', [join(cache, 'license.json')]).status, 0);
  const fifo = cli(['license', 'show'], env);
  assert.equal(fifo.code, 1, 'answered, not blocked on the pipe');
  assert.match(fifo.stderr, /license\.json cannot be used: .*named pipe/);
  rmSync(join(cache, 'license.json'));

  writeFileSync(own, serialise(await forge(key, claimsFor(token, Math.floor(Date.now() / 1000) - 60)), 'x', new Date()));
  chmodSync(cache, 0o700);
  const denied = cli(['license', 'show'], { ...env, HOME: '/nonexistent' }, { uid: 10001, gid: 10001 });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^Error: The cached license: you cannot read .*license(-[0-9a-f]{12})?\.json \(permission denied\)\. .*chown/m);
  assert.doesNotMatch(denied.stderr, /No cached license/);
  assert.doesNotMatch(denied.stderr, /ls-/, 'no credential in the output');
});
