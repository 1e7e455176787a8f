import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { execa } from 'execa';
import { generateToken } from '../../src/core/credentials.ts';
import { serialise } from '../../src/core/cache-file.ts';
import { healthOf } from '../../src/product/health.ts';
import { baseEnv, start } from '../helpers/entrypoint.ts';
import { claimsFor, forge, testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { ROOT } from '../helpers/paths.ts';
import { getHealth, tempDir } from '../helpers/server.ts';
import { waitFor } from '../helpers/entrypoint.ts';

let key: TestKey;
let keys: string;
const token = generateToken('developer');
before(async () => {
  key = await testKey();
  keys = writeJwks(tempDir(), [key.jwk]);
});

async function withProduct(env: Record<string, string>, fn: (url: string) => Promise<void>) {
  const p = start([join(ROOT, 'dist/pro-emulator.js')], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0', LICENSE_TRUSTED_KEYS: keys, ...env }), { command: process.execPath });
  await waitFor(() => /Listening on 127\.0\.0\.1:\d+/.test(p.output()));
  const url = `http://127.0.0.1:${/Listening on 127\.0\.0\.1:(\d+)/.exec(p.output())![1]}`;
  try {
    await fn(url);
  } finally {
    p.child.kill('SIGTERM');
    const r = await p.done;
    assert.equal(r.code, 0, 'clean shutdown on SIGTERM');
  }
  return p.output();
}

async function licenseFile(signer: TestKey, credential: string): Promise<string> {
  const path = join(tempDir(), 'license.json');
  writeFileSync(path, serialise(await forge(signer, claimsFor(credential, Math.floor(Date.now() / 1000) - 60, { features: ['xray', 'appsync'] })), 'x', new Date()));
  return path;
}

test('with a verified license: Pro services listed, edition pro; HEAD answers 200', async () => {
  const output = await withProduct({ LICENSE_FILE: await licenseFile(key, token), LOCALSTACK_AUTH_TOKEN: token, PRO_ACTIVATED: '1' }, async (url) => {
    const health = await getHealth(url);
    assert.equal(health.edition, 'pro');
    assert.equal(health.services.xray, 'available');
    assert.equal(health.services.appsync, 'available');
    assert.equal(health.services.s3, 'available');
    assert.equal(health.services.ecs, undefined, 'only the licensed features');
    assert.match(health.version, /^\d+\.\d+\.\d+/);
    const head = await fetch(`${url}/_localstack/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await fetch(`${url}/`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  });
  assert.match(output, /Pro features enabled for Test/);
});

test('PRO_ACTIVATED=1 alone is not trusted: a license signed by an unknown key, or for another credential, gives community', async () => {
  for (const [file, why] of [[await licenseFile(await testKey(), token), /license\.unknown_key/], [await licenseFile(key, generateToken('developer')), /license\.credential_mismatch/]] as const) {
    const output = await withProduct({ LICENSE_FILE: file, LOCALSTACK_AUTH_TOKEN: token, PRO_ACTIVATED: '1' }, async (url) => {
      const health = await getHealth(url);
      assert.equal(health.edition, 'community');
      assert.equal(health.services.xray, undefined);
      assert.equal(health.services.s3, 'available');
    });
    assert.match(output, why);
  }
});

test('without LICENSE_FILE it is the community edition', async () => {
  await withProduct({ PRO_ACTIVATED: '0' }, async (url) => {
    const health = await getHealth(url);
    assert.equal(health.edition, 'community');
  });
});

test('healthOf ignores features that are not Pro services', () => {
  const h = healthOf({ pro: true, claims: { features: ['xray', 'bitcoin-miner'] } as never }, '1');
  assert.equal(h.services.xray, 'available');
  assert.equal(h.services['bitcoin-miner'], undefined);
});

test('a license file without a credential to bind it to is not trusted: community', async () => {
  const output = await withProduct({ LICENSE_FILE: await licenseFile(key, token), PRO_ACTIVATED: '1' }, async (url) => {
    assert.equal((await getHealth(url)).edition, 'community');
  });
  assert.match(output, /no credential to check LICENSE_FILE against/);
});

test('GET on an unknown path names the path in the error', async () => {
  await withProduct({}, async (url) => {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { message: string } }).error.message, 'no route GET /');
  });
});

test('--help prints the usage and exits 0 without listening; an unknown flag is exit 64', async () => {
  const help = await start([join(ROOT, 'dist/pro-emulator.js'), '--help'], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0' }), { command: process.execPath }).done;
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: pro-emulator/);
  assert.doesNotMatch(help.stderr, /Listening/);
  const bad = await start([join(ROOT, 'dist/pro-emulator.js'), '--frobnicate'], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0' }), { command: process.execPath }).done;
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /unknown argument --frobnicate; see pro-emulator --help/);
});

test('a busy port is one line and exit 1, no stack', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const { port } = busy.address() as { port: number };
  try {
    const r = await start([join(ROOT, 'dist/pro-emulator.js')], baseEnv({ GATEWAY_LISTEN: `127.0.0.1:${port}` }), { command: process.execPath }).done;
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, new RegExp(`^pro-emulator: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use by another program\\. Stop the other program or set GATEWAY_LISTEN`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    busy.close();
  }
});

test('once it can serve it prints "Ready." alone on a line of stdout, as LocalStack does, which the wait patterns find', async () => {
  const p = start([join(ROOT, 'dist/pro-emulator.js')], baseEnv({ GATEWAY_LISTEN: '127.0.0.1:0', LICENSE_TRUSTED_KEYS: keys }), { command: process.execPath });
  await waitFor(() => /^Ready\.$/m.test(p.output()));
  // Only once it listens: the health endpoint answers by then.
  const port = /Listening on 127\.0\.0\.1:(\d+)/.exec(p.output())![1];
  assert.equal((await fetch(`http://127.0.0.1:${port}/_localstack/health`)).status, 200);
  p.child.kill('SIGTERM');
  const { stdout } = await p.done;
  const lines = stdout.split(/(?<=\n)/);
  // testcontainers-python's LocalStackContainer waits for the regex `Ready\.\n` in the log stream.
  assert.match(stdout, /Ready\.\n/);
  // testcontainers-java's LocalStackContainer: Wait.forLogMessage(".*Ready\\.\n", 1), matched against each whole line.
  assert.equal(lines.filter((l) => /^.*Ready\.\n$/.test(l)).length, 1);
  // Teams' scripts: docker logs … | grep '^Ready\.'
  assert.ok(lines.some((l) => l === 'Ready.\n'));
});

test('--health (the image\'s HEALTHCHECK) asks where GATEWAY_LISTEN says: 0 while it serves there, 1 and one line once it is gone', async () => {
  const probe = (listen: string) => execa(process.execPath, [join(ROOT, 'dist/pro-emulator.js'), '--health'], { env: baseEnv({ GATEWAY_LISTEN: listen }), extendEnv: false, reject: false });
  let listen = '';
  await withProduct({}, async (url) => {
    listen = url.replace('http://', '');
    const healthy = await probe(listen);
    assert.equal(healthy.exitCode, 0, String(healthy.stderr));
    assert.equal(healthy.stderr, '');
    // The wildcard host means this machine's loopback.
    assert.equal((await probe(`0.0.0.0:${new URL(url).port}`)).exitCode, 0);
  });
  const gone = await probe(listen);
  assert.equal(gone.exitCode, 1);
  assert.match(String(gone.stderr), new RegExp(`^pro-emulator: unhealthy: http://${listen.replace(/\./g, '\\.')}/_localstack/health did not answer \\(ECONNREFUSED\\)\\n?$`));
});
