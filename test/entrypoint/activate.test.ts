import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { activate, readConfig, type Activation } from '../../src/index.ts';
import { serialise } from '../../src/core/cache-file.ts';
import { generateToken } from '../../src/core/credentials.ts';
import { loadJwks } from '../../src/core/license.ts';
import { cacheDir, cacheWith, listen, nowS, startActivationWorld } from '../helpers/entrypoint.ts';
import { switchableRelay } from '../helpers/net.ts';
import { claimsFor, forge, testKey, type TestKey } from '../helpers/keys.ts';
import { fixture, tempDir, type RunningServer } from '../helpers/server.ts';

// The library, in-process against the real license server (and, for hostile answers, a real HTTP server
// that answers what a broken or malicious one would): it returns an outcome and a refresh(), and prints nothing.
const f = fixture();
let server: RunningServer;
let key: TestKey;
let trusted: string;
let refused: string;
const noCi = { isCI: false, name: null };
const missing = { mounted: '/nonexistent/mounted.json', baked: '/nonexistent/baked.json' };

before(async () => {
  ({ server, trusted, key, refused } = await startActivationWorld(f));
});
after(async () => {
  await server.stop();
});

function run(extra: Record<string, string>, options: { paths?: { mounted: string; baked: string }; signal?: AbortSignal } = {}): Promise<Activation> {
  const env = { API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '3', ...extra };
  const config = readConfig(env, { defaultTrustedKeys: trusted, isTTY: false });
  return activate({ config, keys: loadJwks(trusted), env, ci: noCi, paths: options.paths ?? missing, signal: options.signal });
}

/** A real HTTP server on loopback that answers every request with `handler`. */
async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const hits: string[] = [];
  const s = createServer((req, res) => {
    hits.push(req.headers.authorization ?? '');
    res.on('error', () => {});
    handler(req, res);
  });
  const host = await listen(s);
  return { endpoint: `http://${host}/v1`, hits, close: () => new Promise((r) => s.close(r)) };
}

test('online: a typed outcome with the license and the cache path, nothing printed', async () => {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  let activation: Activation;
  try {
    activation = await run({ LOCALSTACK_AUTH_TOKEN: f.admin });
  } finally {
    process.stderr.write = original;
  }
  assert.equal(writes.join(''), '');
  const { outcome } = activation;
  assert.ok(outcome.activated, JSON.stringify(outcome));
  assert.equal(outcome.mode, 'online');
  assert.equal(outcome.license.claims.ws.id, 'ws-acme');
  assert.ok(outcome.licenseFile.endsWith('/license.json'));
  assert.equal(activation.refreshSoon, false);
});

test('a definitive refusal is a reason with a stable code', async () => {
  const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: f.unlicensed });
  assert.ok(!outcome.activated);
  assert.equal(outcome.reason.code, 'license.not_found');
});

test('item 5: a forged cache file issued ten years ahead loses to the genuine license and is repaired', async () => {
  const forger = await testKey();
  const dir = cacheWith(await forge(forger, claimsFor(f.admin, nowS() + 10 * 365 * 86_400)));
  const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, LICENSE_CACHE_DIR: dir });
  assert.ok(outcome.activated && outcome.mode === 'online');
  const cached = JSON.parse(readFileSync(join(dir, 'license.json'), 'utf8'));
  assert.equal(cached.license, outcome.license.jws, 'the cache now holds the genuine license');
  assert.equal(outcome.licenseFile, join(dir, 'license.json'));
  assert.equal(outcome.license.kid !== forger.kid, true);
});

test('a newer genuine license in the cache for the same credential is kept, and the outcome names it', async () => {
  const newer = await forge(key, claimsFor(f.admin, nowS() + 120));
  const dir = cacheWith(newer, 'http://newer/v1');
  const before = readFileSync(join(dir, 'license.json'), 'utf8');
  const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, LICENSE_CACHE_DIR: dir });
  assert.ok(outcome.activated && outcome.mode === 'online');
  assert.equal(readFileSync(join(dir, 'license.json'), 'utf8'), before);
  assert.equal(outcome.license.jws, newer);
});

test('offline: the newest valid candidate wins; the mounted copy is copied into the cache the command is told about', async () => {
  const dir = tempDir();
  const paths = { mounted: join(dir, 'mounted.json'), baked: join(dir, 'baked.json') };
  const cache = cacheWith(await forge(key, claimsFor(f.admin, nowS() - 60)));
  writeFileSync(paths.mounted, serialise(await forge(key, claimsFor(f.admin, nowS() - 300)), 'x', new Date()));
  writeFileSync(paths.baked, '{"format": 1, "license": "garbage"}');
  const first = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LICENSE_CACHE_DIR: cache }, { paths });
  assert.ok(first.outcome.activated && first.outcome.mode === 'offline');
  assert.equal(first.outcome.licenseFile, join(cache, 'license.json'));
  assert.equal(first.refreshSoon, true);

  const newest = await forge(key, claimsFor(f.admin, nowS() - 10));
  writeFileSync(paths.mounted, serialise(newest, 'x', new Date()));
  const again = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LICENSE_CACHE_DIR: cache }, { paths });
  assert.ok(again.outcome.activated);
  assert.equal(again.outcome.from, paths.mounted);
  assert.equal(again.outcome.licenseFile, join(cache, 'license.json'), 'never the read-only mounted file');
  assert.equal(JSON.parse(readFileSync(join(cache, 'license.json'), 'utf8')).license, newest);
});

test('item 9: after an offline start from the mounted copy, refresh() keeps the very file the command was told about fresh', async () => {
  // A real TCP relay in front of the real server: "down" drops every connection, "up" relays it.
  const relay = switchableRelay(server.port);
  const host = await listen(relay.server);
  try {
    const dir = tempDir();
    const mounted = join(dir, 'mounted.json');
    const old = await forge(key, claimsFor(f.member, nowS() - 600));
    writeFileSync(mounted, serialise(old, 'x', new Date()));
    const { outcome, refresh, refreshSoon } = await run({ LOCALSTACK_AUTH_TOKEN: f.member, API_ENDPOINT: `http://${host}/v1` }, { paths: { mounted, baked: '/nonexistent' } });
    assert.ok(outcome.activated && outcome.mode === 'offline', JSON.stringify(outcome));
    assert.equal(refreshSoon, true);
    assert.notEqual(outcome.licenseFile, mounted);
    const down = await refresh();
    assert.ok(!down.ok && !down.refused, 'still down: nothing written');
    assert.equal(JSON.parse(readFileSync(outcome.licenseFile, 'utf8')).license, old);

    relay.up = true;
    const result = await refresh();
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.licenseFile, outcome.licenseFile);
    const fresh = JSON.parse(readFileSync(outcome.licenseFile, 'utf8')).license;
    assert.equal(fresh, result.license.jws);
    assert.notEqual(fresh, old);
    assert.equal(JSON.parse(readFileSync(mounted, 'utf8')).license, old, 'the mounted copy is never written');
  } finally {
    relay.server.close();
  }
});

test('item 6: a server answering a local path as the license is refused as not genuine; the cache is untouched', async () => {
  const cache = cacheWith(await forge(key, claimsFor(f.admin, nowS() - 60)));
  const path = join(cache, 'license.json');
  const before = readFileSync(path, 'utf8');
  const h = await hostile((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ license: path })));
  try {
    const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: h.endpoint, LICENSE_CACHE_DIR: cache });
    assert.ok(!outcome.activated);
    assert.equal(outcome.reason.code, 'license.not_genuine');
    assert.match(outcome.reason.detail, /license\.corrupt/);
    assert.equal(readFileSync(path, 'utf8'), before);
  } finally {
    await h.close();
  }
});

test('item 6: a 300 MB answer is not read whole and not echoed', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 'A');
  const h = await hostile((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"license":"');
    let sent = 0;
    const pump = () => {
      while (sent < 300 && res.write(chunk)) sent++;
      if (sent < 300 && !res.destroyed) res.once('drain', pump);
      else res.end('"}');
    };
    res.once('close', () => (sent = 300));
    pump();
  });
  try {
    const before = process.memoryUsage().rss;
    const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: h.endpoint });
    assert.ok(!outcome.activated);
    assert.equal(outcome.reason.code, 'server.unexpected');
    assert.match(outcome.reason.detail, /larger than 64 KiB/);
    assert.ok(outcome.reason.detail.length < 200);
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'memory did not grow by the answer');
  } finally {
    await h.close();
  }
});

test("item 6: a server reflecting the Authorization header never gets the credential into the reason", async () => {
  const h = await hostile((req, res) => res.writeHead(401, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { code: 'licensing.credentials.invalid', message: `bad ${req.headers.authorization}` } })));
  const h2 = await hostile((req, res) => res.writeHead(418, { 'content-type': 'application/json' })
    .end(JSON.stringify({ error: { code: `x ${req.headers.authorization}`, message: `bad ${req.headers.authorization}` } })));
  try {
    for (const [endpoint, token] of [[h.endpoint, f.ci], [h2.endpoint, f.legacy], [h2.endpoint, f.admin]] as const) {
      const variable = token === f.legacy ? 'LOCALSTACK_API_KEY' : 'LOCALSTACK_AUTH_TOKEN';
      const { outcome } = await run({ [variable]: token, API_ENDPOINT: endpoint, CI: token === f.ci ? 'true' : '' });
      assert.ok(!outcome.activated);
      assert.ok(!JSON.stringify(outcome).includes(token), JSON.stringify(outcome));
    }
    assert.ok(h.hits.length > 0 && h2.hits.length > 0, 'the requests reached the servers');
  } finally {
    await h.close();
    await h2.close();
  }
});

test('fast offline start: refused with a usable cache goes offline at once and asks for a soon refresh; without a cache the banner reason', async () => {
  const cache = cacheWith(await forge(key, claimsFor(f.admin, nowS() - 60)));
  const withCache = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LICENSE_CACHE_DIR: cache });
  assert.ok(withCache.outcome.activated && withCache.outcome.mode === 'offline');
  assert.equal(withCache.refreshSoon, true);
  assert.match(withCache.outcome.warnings.join('\n'), /could not be reached \(ECONNREFUSED\); using the cached license from .* and trying again in the background/);
  const none = await run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused });
  assert.ok(!none.outcome.activated);
  assert.equal(none.outcome.reason.code, 'offline.unavailable');
  assert.equal(none.outcome.reason.detail, 'ECONNREFUSED; no cached license exists');
});

test('an abort while a request is in flight rejects with the signal reason, before the budget ends', async () => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((s) => sockets.push(s));
  const host = await listen(silent);
  try {
    const controller = new AbortController();
    const pending = run({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `http://${host}/v1`, ACTIVATION_TIMEOUT: '30' }, { signal: controller.signal });
    const t0 = Date.now();
    while (sockets.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sockets.length, 1, 'a request was in flight when the signal came');
    controller.abort(new Error('SIGTERM'));
    await assert.rejects(pending, /SIGTERM/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('a credential problem is an outcome, not an exception', async () => {
  const { outcome } = await run({ LOCALSTACK_AUTH_TOKEN: generateToken('developer').slice(0, -1) + '!' });
  assert.ok(!outcome.activated);
  assert.equal(outcome.reason.code, 'credentials.malformed');
  assert.ok(!existsSync('/nonexistent/mounted.json'));
});
