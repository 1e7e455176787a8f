import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertNoSecret, baseEnv, cacheDir, childView, run, SHOW_ENV } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startServer, tempDir } from '../helpers/server.ts';

// The few tests that need the built program as a process: start-up, restart, exit codes. The rest is in app.test.ts.

function readAllFiles(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name))));
}

test('survives restart with the same signing key and data; the key file is 0600; no plain credential on disk', async () => {
  const ff = fixture();
  const s = await startServer({ seed: ff.seed });
  const kid1 = (await api(s, 'GET', '/.well-known/jwks.json')).json.keys[0].kid;
  const created = (await api(s, 'POST', '/v1/ci-tokens', { token: ff.admin, body: { name: 'made-at-runtime' } })).json.token;
  await s.stop();
  const again = await startServer({ dataDir: s.dataDir });
  try {
    const jwks = (await api(again, 'GET', '/.well-known/jwks.json')).json;
    assert.equal(jwks.keys[0].kid, kid1);
    assert.ok(jwks.keys.every((k: { d?: string }) => k.d === undefined), 'no private key in the JWKS');
    const activated = await activateVia(again, created, { ci: true });
    assert.equal(activated.status, 200);
    const claims = JSON.parse(Buffer.from(activated.json.license.split('.')[1], 'base64url').toString());
    assert.equal(claims.iss, again.url, 'the issuer is the URL the server listens on');
    assert.equal(statSync(join(s.dataDir, 'signing-keys.json')).mode & 0o777, 0o600);
    const disk = readAllFiles(s.dataDir);
    for (const secret of [ff.admin, ff.member, ff.ci, ff.legacy, created]) {
      assert.ok(!disk.includes(secret), `a plain credential was found in the data folder`);
    }
  } finally {
    await again.stop();
  }
});

test('a busy port: one line that names it, exit 69, no stack', async () => {
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as { port: number }).port;
  try {
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', String(port), '--data-dir', join(tempDir(), 'd')], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 69, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  } finally {
    holder.close();
  }
});

test('SIGTERM: the server finishes, closes the database and exits 0', async () => {
  const ff = fixture();
  const s = await startServer({ seed: ff.seed });
  assert.equal((await activateVia(s, ff.admin)).status, 200);
  const code = new Promise((done) => s.process.once('exit', (c) => done(c)));
  await s.stop();
  assert.equal(await code, 0);
});

describe('seed', () => {
  test('importing the same seed twice is idempotent', async () => {
    const ff = fixture();
    const s = await startServer({ seed: ff.seed });
    await s.stop();
    const again = await startServer({ dataDir: s.dataDir, seed: ff.seed });
    try {
      const ws = (await api(again, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
      assert.equal(ws.members.length, 3);
      assert.equal(ws.ciTokens.length, 1);
      assert.equal((await activateVia(again, ff.admin)).status, 200);
    } finally {
      await again.stop();
    }
  });

  test('an invalid seed exits non-zero naming the path and field, and imports nothing', () => {
    const ff = fixture();
    const seed = structuredClone(ff.seed) as { workspaces: { members: { authToken: string }[] }[] };
    seed.workspaces[0].members[1].authToken = 'ls-AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA';
    const dir = tempDir();
    const file = join(dir, 'bad-seed.json');
    writeFileSync(file, JSON.stringify(seed));
    const dataDir = join(dir, 'data');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', '0', '--data-dir', dataDir, '--seed', file], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0);
    assert.ok(run.stderr.includes(file), run.stderr);
    assert.ok(run.stderr.includes('workspaces[0].members[1].authToken'), run.stderr);
    assert.equal(existsSync(dataDir), false, 'the seed is checked before the data folder is touched');
  });

  test('a seed that gives two members the same token is refused, naming both fields', () => {
    const ff = fixture();
    const seed = structuredClone(ff.seed) as { workspaces: { members: { authToken: string }[] }[] };
    seed.workspaces[0].members[2].authToken = seed.workspaces[0].members[0].authToken;
    const dir = tempDir();
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', '0', '--data-dir', join(dir, 'd'), '--seed', join(dir, 'seed.json')], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /workspaces\[0\]\.members\[2\]\.authToken: the same credential as workspaces\[0\]\.members\[0\]\.authToken/);
    assert.ok(!run.stderr.includes(ff.admin), 'the credential itself is not printed');
  });

  test('a seed that is not JSON names the file', () => {
    const dir = tempDir();
    const file = join(dir, 'seed.json');
    writeFileSync(file, '{ not json');
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', '0', '--data-dir', join(dir, 'd'), '--seed', file], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /seed\.json: not valid JSON/);
  });
});

test('a container that pins the JWKS: a staged rotation keeps it activating, an unstaged one fails it (exit 55)', async () => {
  const f = fixture();
  const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const T = { token: ADMIN_TOKEN };
  // The image bakes the server's public JWKS file as it is at build time.
  const pin = (name: string) => {
    const path = join(tempDir(), name);
    writeFileSync(path, readFileSync(join(server.dataDir, 'public/jwks.json')));
    return path;
  };
  const container = (trusted: string) => run(SHOW_ENV, baseEnv({
    API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', LOCALSTACK_AUTH_TOKEN: f.admin,
  }));
  try {
    assert.equal((await api(server, 'POST', '/admin/v1/signing-keys', T)).status, 201);
    const baked = pin('staged.json');
    assert.equal((await api(server, 'POST', '/admin/v1/signing-keys/rotate', T)).json.promoted, true);
    const staged = await container(baked);
    assert.equal(staged.code, 0, staged.stderr);
    assert.equal(childView(staged).pro, '1');
    const bakedBefore = pin('unstaged.json');
    assert.equal((await api(server, 'POST', '/admin/v1/signing-keys/rotate', T)).json.promoted, false);
    const unstaged = await container(bakedBefore);
    assert.equal(unstaged.code, 55, 'the new key is not in the pinned JWKS: not genuine');
    assert.match(unstaged.stderr, /genuine/);
    assertNoSecret(unstaged.stdout + unstaged.stderr + staged.stdout + staged.stderr, [f.admin]);
  } finally {
    await server.stop();
  }
});
