import assert from 'node:assert/strict';
import { runnableByAnyone } from '../helpers/as-another-user.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyLicenseFile } from '../../src/core/license.ts';
import { assertNoSecret, cacheDir, cacheWith as cacheHolding, childView, ENTRYPOINT, listen, nowS, run, SHOW_ENV, start, waitFor, type Run, startActivationWorld, type ActivationWorld } from '../helpers/entrypoint.ts';
import { connectProxy, switchableRelay } from '../helpers/net.ts';
import { claimsFor, forge, testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { api, fixture, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { canUnshare, has, isRoot, unlessAble } from '../helpers/capabilities.ts';

const f = fixture();
let server: RunningServer;
let trusted: string;
let key: TestKey;
/** A port where nothing listens: connections are refused at once. */
let refused: string;
let env: ActivationWorld['env'];

before(async () => {
  ({ server, trusted, key, refused, env } = await startActivationWorld(f));
});
after(async () => {
  await server.stop();
});


const secrets = () => [f.admin, f.member, f.ci, f.legacy];
const noSecret = (r: Run) => assertNoSecret(r.stdout + r.stderr, secrets());

async function cacheWith(claims: Parameters<typeof forge>[1], signer: TestKey = key): Promise<string> {
  return cacheHolding(await forge(signer, claims));
}

describe('offline fallback', () => {
  test('after the license server is killed, the cached license activates offline', async () => {
    const ff = fixture();
    const s = await startServer({ seed: ff.seed });
    const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json;
    const e = env({ LOCALSTACK_AUTH_TOKEN: ff.member, API_ENDPOINT: `${s.url}/v1`, LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), jwks.keys) });
    assert.equal((await run(SHOW_ENV, e)).code, 0);
    await s.kill();
    const r = await run(SHOW_ENV, e);
    assert.equal(r.code, 0, r.stderr);
    const path = join(e.LICENSE_CACHE_DIR, 'license.json');
    assert.match(r.stderr, new RegExp(`Successfully activated cached license lic-[\\w-]+:subscription from ${path} 🔑✅`));
    // The fast offline start: no retry of a refused connection while a license that verifies is at hand.
    assert.match(r.stderr, /Warning: the license server could not be reached \(ECONNREFUSED\); using the cached license from .* and trying again in the background/);
    assert.deepEqual(childView(r), { pro: '1', mode: 'offline', file: path });
  });

  const refusedCases: [string, (tokenFor: string) => Promise<string>, RegExp][] = [
    ['no cached license', async () => cacheDir(), /no cached license exists/],
    ['a stale cache (older than 24 h)', (t) => cacheWith(claimsFor(t, nowS() - 25 * 3600)), /license\.json: expired \(older than 24 h\)/],
    ['a tampered cache', async (t) => {
      const dir = await cacheWith(claimsFor(t, nowS() - 60));
      const path = join(dir, 'license.json');
      const file = JSON.parse(readFileSync(path, 'utf8'));
      const [h, , s] = file.license.split('.');
      file.license = `${h}.${Buffer.from(JSON.stringify({ ...claimsFor(t, nowS()), features: ['all'] })).toString('base64url')}.${s}`;
      writeFileSync(path, JSON.stringify(file));
      return dir;
    }, /license\.json: not genuine/],
    ['a cache activated with another credential', () => cacheWith(claimsFor(f.member, nowS() - 60)), /license\.json: activated with another credential/],
    ['a cache issued in the future (clock rolled back)', (t) => cacheWith(claimsFor(t, nowS() + 3600)), /license\.json: issued in the future: the system clock is behind \(rolled back\)/],
    ['a cache signed by an unknown key', async (t) => cacheWith(claimsFor(t, nowS() - 60), await testKey()), /license\.json: signed by an unknown key/],
    ['a corrupt cache', async () => {
      const dir = cacheDir();
      writeFileSync(join(dir, 'license.json'), '{"format":1,"license":"eyJhbGciOi');
      return dir;
    }, /license\.json: corrupt/],
  ];
  // Independent (each its own cache folder), and each waits out the full retry policy: run side by side.
  describe('server unreachable, no usable cache', { concurrency: true }, () => {
    for (const [name, make, why] of refusedCases) {
      test(`server unreachable and ${name}: banner names the cause, exit 55`, async () => {
        const r = await run(SHOW_ENV, env({ API_ENDPOINT: refused, LICENSE_CACHE_DIR: await make(f.admin) }));
        assert.equal(r.code, 55, r.stderr);
        noSecret(r);
        assert.match(r.stderr, /Reason: The license server could not be reached and no usable cached license was found: ECONNREFUSED; /);
        assert.match(r.stderr, why);
      });
    }
  });

  test('item 5: a forged cache file issued ten years ahead never becomes LICENSE_FILE; the cache is repaired', async () => {
    const dir = await cacheWith(claimsFor(f.admin, nowS() + 3650 * 86_400), await testKey());
    const r = await run(SHOW_ENV, env({ LICENSE_CACHE_DIR: dir }));
    assert.equal(r.code, 0, r.stderr);
    const view = childView(r);
    assert.deepEqual(view, { pro: '1', mode: 'online', file: join(dir, 'license.json') });
    await verifyLicenseFile(view.file, { keys: trusted, credential: f.admin });
  });

  test('after an offline start the background refresh comes soon and rewrites the very file LICENSE_FILE names', async () => {
    // A real TCP relay in front of the real server: down (connections dropped) at the start, up a moment later.
    const relay = switchableRelay(server.port);
    const host = await listen(relay.server);
    try {
      const old = await forge(key, claimsFor(f.admin, nowS() - 600));
      const dir = cacheHolding(old);
      // The command prints the license its file holds at the start, and again 2.5 s later.
      const show = 'node -e "console.log(JSON.parse(require(\'fs\').readFileSync(process.env.LICENSE_FILE)).license)"';
      const s = start(['sh', '-c', `${show}; sleep 2.5; ${show}`], env({ API_ENDPOINT: `http://${host}/v1`, LICENSE_CACHE_DIR: dir, LICENSE_REFRESH_INTERVAL: '1', ACTIVATION_TIMEOUT: '2' }));
      await waitFor(() => s.output().includes('Successfully activated cached license'));
      relay.up = true;
      const r = await s.done;
      assert.equal(r.code, 0, r.stderr);
      const [first, second] = r.stdout.trim().split('\n');
      assert.equal(first, old);
      assert.notEqual(second, old, `the file was refreshed: ${r.stderr}`);
      await verifyLicenseFile(join(dir, 'license.json'), { keys: trusted, credential: f.admin });
      assert.match(r.stderr, new RegExp(`License refreshed: .* \\(${join(dir, 'license.json')}\\)`));
    } finally {
      relay.server.close();
    }
  });

  test('a definitive refusal never falls back to the cache (a rotated token stops working)', async () => {
    const ff = fixture();
    const s = await startServer({ seed: ff.seed });
    try {
      const keys = writeJwks(tempDir(), (await api(s, 'GET', '/.well-known/jwks.json')).json.keys);
      const e = env({ LOCALSTACK_AUTH_TOKEN: ff.member, API_ENDPOINT: `${s.url}/v1`, LICENSE_TRUSTED_KEYS: keys });
      assert.equal((await run(SHOW_ENV, e)).code, 0);
      await api(s, 'POST', '/v1/me/auth-token/rotate', { token: ff.member });
      const r = await run(SHOW_ENV, e);
      assert.equal(r.code, 55);
      assert.match(r.stderr, /credentials defined in your environment are invalid/);
    } finally {
      await s.stop();
    }
  });

  test('a port that accepts and never answers: the budget ends it, with an answer in words, then the cache', { timeout: 20_000 }, async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s));
    const host = await listen(silent);
    try {
      const dir = await cacheWith(claimsFor(f.admin, nowS() - 60));
      const r = await run(SHOW_ENV, env({ API_ENDPOINT: `http://${host}/v1`, ACTIVATION_TIMEOUT: '2', LICENSE_CACHE_DIR: dir }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(childView(r).mode, 'offline');
      assert.match(r.stderr, /Warning: the license server could not be reached \(no answer within 2 s\)/);
      assert.ok(!r.stderr.includes('UND_ERR'), r.stderr);
      // Not a speed check: a lower bound proves the budget was waited out rather than cut short.
      assert.ok(r.ms >= 1900, `waited the budget (${r.ms} ms)`);
      assert.ok(sockets.length >= 2, 'a silent attempt leaves room for another within the budget');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('503 with Retry-After is honoured, then the real server answers', async () => {
    const hits: number[] = [];
    const proxy = createHttpServer(async (req, res) => {
      hits.push(Date.now());
      if (hits.length === 1) {
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"server.unavailable","message":"maintenance"}}');
        return;
      }
      const body = await new Promise<string>((r) => {
        let b = '';
        req.on('data', (d) => (b += d)).on('end', () => r(b));
      });
      const upstream = await fetch(`${server.url}${req.url}`, { method: req.method, headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    const host = await listen(proxy);
    try {
      const r = await run(SHOW_ENV, env({ API_ENDPOINT: `http://${host}/v1` }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(childView(r).mode, 'online');
      assert.equal(hits.length, 2);
      assert.ok(hits[1] - hits[0] >= 1000, `waited ${hits[1] - hits[0]} ms for Retry-After: 1`);
    } finally {
      proxy.close();
    }
  });

  test('a 429 whose Retry-After exceeds the budget goes offline at once; at most 4 attempts on 5xx', async () => {
    let hits = 0;
    const limited = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(429, { 'retry-after': '120', 'content-type': 'application/json' }).end('{"error":{"code":"licensing.rate_limited","message":"slow down"}}');
    });
    const host = await listen(limited);
    let failing = 0;
    const broken = createHttpServer((_req, res) => {
      failing++;
      res.writeHead(500).end('oops');
    });
    const brokenHost = await listen(broken);
    try {
      const dir = await cacheWith(claimsFor(f.admin, nowS() - 60));
      const r = await run(SHOW_ENV, env({ API_ENDPOINT: `http://${host}/v1`, LICENSE_CACHE_DIR: dir, ACTIVATION_TIMEOUT: '5' }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(hits, 1);
      const r2 = await run(SHOW_ENV, env({ API_ENDPOINT: `http://${brokenHost}/v1`, LICENSE_CACHE_DIR: dir, ACTIVATION_TIMEOUT: '5' }));
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(failing, 4);
      assert.match(r2.stderr, /Warning: the license server is failing \(HTTP 500\); using the cached license/);
    } finally {
      limited.close();
      broken.close();
    }
  });

  test('a TLS certificate error is not retried; the banner names TLS', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    let hits = 0;
    const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      hits++;
      res.end('{}');
    });
    tls.on('tlsClientError', () => hits++);
    const host = await listen(tls);
    try {
      const r = await run(SHOW_ENV, env({ API_ENDPOINT: `https://${host}/v1` }));
      assert.equal(r.code, 55);
      assert.match(r.stderr, /Reason: The TLS connection to the license server failed and no usable cached license was found: TLS: [A-Z_]*(CERT|SELF_SIGNED)/);
      assert.match(r.stderr, /NODE_EXTRA_CA_CERTS/);
      assert.equal(hits, 1, 'one handshake: not retried');
    } finally {
      tls.close();
    }
  });

  test('HTTP_PROXY is honoured (through a real forward proxy), NO_PROXY bypasses it', async () => {
    // A forward proxy: absolute-URI requests are relayed, CONNECT is tunnelled.
    const { server: proxy, tunnels } = connectProxy({
      request: async (req, res) => {
        tunnels.push(new URL(req.url!).host);
        let body = '';
        for await (const chunk of req) body += chunk;
        const upstream = await fetch(req.url!, { method: req.method, headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' }, body });
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      },
    });
    const host = await listen(proxy);
    try {
      const r = await run(SHOW_ENV, env({ HTTP_PROXY: `http://${host}` }));
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(tunnels, [`127.0.0.1:${server.port}`]);
      const bypass = await run(SHOW_ENV, env({ HTTP_PROXY: `http://${host}`, NO_PROXY: '127.0.0.1' }));
      assert.equal(bypass.code, 0, bypass.stderr);
      assert.equal(tunnels.length, 1, 'NO_PROXY went direct');
    } finally {
      proxy.close();
    }
  });

  test('NODE_EXTRA_CA_CERTS: a TLS-intercepting proxy with its own CA in front of the real server is trusted, directly and through HTTPS_PROXY', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const terminator = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const upstream = await fetch(`${server.url}${req.url}`, { method: req.method, headers: { authorization: req.headers.authorization!, 'content-type': 'application/json' }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    const host = await listen(terminator);
    try {
      const r = await run(SHOW_ENV, env({ API_ENDPOINT: `https://${host}/v1`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') }));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(childView(r).mode, 'online');
      // The same HTTPS endpoint through HTTPS_PROXY, then https_proxy: a CONNECT tunnel (Node's own proxy support).
      const { server: proxy, tunnels } = connectProxy();
      const proxyHost = await listen(proxy);
      try {
        const viaProxy = await run(SHOW_ENV, env({ API_ENDPOINT: `https://${host}/v1`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), HTTPS_PROXY: `http://${proxyHost}` }));
        assert.equal(viaProxy.code, 0, viaProxy.stderr);
        assert.equal(childView(viaProxy).mode, 'online');
        assert.deepEqual(tunnels, [host]);
        const lower = await run(SHOW_ENV, env({ API_ENDPOINT: `https://${host}/v1`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), https_proxy: `http://${proxyHost}` }));
        assert.equal(lower.code, 0, lower.stderr);
        assert.deepEqual(tunnels, [host, host], 'the lower-case variable is honoured too');
      } finally {
        proxy.close();
      }
    } finally {
      terminator.close();
    }
  });

  test('unshare --net: a machine without network activates from the cache', { skip: unlessAble(canUnshare('--net'), 'unshare --net') }, async () => {
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.member });
    assert.equal((await run(SHOW_ENV, e)).code, 0);
    const r = await run(['--net', ENTRYPOINT, ...SHOW_ENV], e, { command: 'unshare' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(childView(r).mode, 'offline');
    const none = await run(['--net', ENTRYPOINT, ...SHOW_ENV], env({ LOCALSTACK_AUTH_TOKEN: f.member }), { command: 'unshare' });
    assert.equal(none.code, 55);
    assert.match(none.stderr, /could not be reached and no usable cached license was found: (ENETUNREACH|ECONNREFUSED)/);
  });
});


describe('the cache under contention', () => {
  test('20 entrypoints sharing one cache folder: all start, one valid file, no leftovers', async () => {
    const dir = cacheDir();
    const runs = await Promise.all(Array.from({ length: 20 }, () => run(SHOW_ENV, env({ LICENSE_CACHE_DIR: dir }))));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir), ['license.json']);
    await verifyLicenseFile(join(dir, 'license.json'), { keys: trusted, credential: f.admin });
  });

  test('a stale lock left by a killed process is taken over', async () => {
    const dir = cacheDir();
    const lock = join(dir, 'license.json.lock');
    mkdirSync(lock);
    const old = new Date(Date.now() - 30_000);
    utimesSync(lock, old, old);
    const r = await run(SHOW_ENV, env({ LICENSE_CACHE_DIR: dir }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(childView(r).file, join(dir, 'license.json'));
    assert.ok(!existsSync(lock), 'the lock was released');
  });

  test('a read-only cache folder is a warning; the license goes to a private temporary file', { skip: unlessAble(canUnshare('--mount'), 'unshare --mount') }, async () => {
    const dir = cacheDir();
    const e = env({ LICENSE_CACHE_DIR: dir });
    const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`;
    const r = await run(['--mount', 'sh', '-c', script, 'sh', dir, ENTRYPOINT, ...SHOW_ENV], e, { command: 'unshare' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: cannot write the license cache in .* \(EROFS: read-only file system\); using .*license\.json for this container only/);
    const view = childView(r);
    assert.equal(view.mode, 'online');
    assert.ok(view.file.startsWith(e.TMPDIR), view.file);
    assert.ok(!existsSync(join(dir, 'license.json')));
  });
});

describe('a cache folder this user may not write', () => {
  test('EACCES (run as nobody): the temporary file at once, with a warning', { timeout: 15_000, skip: unlessAble(isRoot && has('setpriv', '--version'), 'root and setpriv') }, async () => {
    const base = tempDir();
    chmodSync(base, 0o755);
    const cache = join(base, 'cache');
    mkdirSync(cache, { mode: 0o755 });
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    const keys = join(base, 'keys.json');
    writeFileSync(keys, readFileSync(trusted));
    chmodSync(keys, 0o644);
    const e = env({ LICENSE_CACHE_DIR: cache, LICENSE_TRUSTED_KEYS: keys, TMPDIR: tmp, HOME: tmp });
    const anyone = runnableByAnyone();
    const r = await run(['--reuid=65534', '--regid=65534', '--clear-groups', anyone.node, anyone.entrypoint, ...SHOW_ENV], { ...e, PATH: anyone.path }, { command: 'setpriv', cwd: anyone.cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: cannot write the license cache in .* \(EACCES: permission denied\); using .*license\.json for this container only/);
    const view = childView(r);
    assert.equal(view.mode, 'online');
    assert.ok(view.file.startsWith(tmp), view.file);
    assert.deepEqual(readdirSync(cache), []);
  });
});

describe('signals', () => {
  const trapTerm = ['sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'];

  test('SIGTERM is forwarded to the command and its exit code mirrored', async () => {
    const s = start(trapTerm, env());
    await waitFor(() => s.output().includes('ready'));
    s.child.kill('SIGTERM');
    const r = await s.done;
    assert.equal(r.code, 42);
    assert.match(r.stdout, /got-term/);
  });

  test('a whole process group signalled: the command gets the signal once', async () => {
    const counter = ['sh', '-c', 'n=0; trap "n=$((n+1)); echo term-$n" TERM; echo ready; i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done; exit $n'];
    const s = start(counter, env(), { detached: true });
    await waitFor(() => s.output().includes('ready'));
    process.kill(-s.child.pid!, 'SIGTERM');
    const r = await s.done;
    assert.equal(r.code, 1, `the command saw ${r.code} SIGTERMs: ${r.stdout}`);
  });

  test('SIGKILL follows SHUTDOWN_TIMEOUT after SIGTERM for a command that ignores it', async () => {
    const s = start(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'], env({ SHUTDOWN_TIMEOUT: '1' }));
    await waitFor(() => s.output().includes('ready'));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const r = await s.done;
    assert.equal(r.code, 137);
    assert.ok(Date.now() - t0 >= 900, `SIGKILL came only after SHUTDOWN_TIMEOUT (${Date.now() - t0} ms)`);
  });

  // ACTIVATION_TIMEOUT=30 and a 10 s test timeout: finishing at all proves the signal, not the budget, ended it.
  test('a signal during activation aborts it: exit 128 + n', { timeout: 10_000 }, async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((sock) => sockets.push(sock));
    const host = await listen(silent);
    try {
      const s = start(SHOW_ENV, env({ API_ENDPOINT: `http://${host}/v1`, ACTIVATION_TIMEOUT: '30' }));
      await waitFor(() => sockets.length > 0);
      s.child.kill('SIGINT');
      const r = await s.done;
      assert.equal(r.code, 130);
      assert.equal(r.stdout, '', 'the command never started');
    } finally {
      for (const sock of sockets) sock.destroy();
      silent.close();
    }
  });

  const orphans = [
    'sh', '-c',
    // Five orphans: each inner shell exits at once, its sleep is re-parented to PID 1 and exits 0.2 s later.
    'for i in 1 2 3 4 5; do sh -c "sleep 0.2 &"; done; sleep 1; z=0; for f in /proc/[0-9]*/stat; do set -- $(cat "$f" 2>/dev/null); [ "$3" = Z ] && z=$((z+1)); done; echo "zombies=$z"',
  ];

  test('item 10: run as PID 1 without an init, the entrypoint hands PID 1 to tini and orphans are reaped', { skip: unlessAble(canUnshare('--pid', '--fork', '--mount-proc') && has('tini'), 'unshare --pid and tini') }, async () => {
    const r = await run(['--pid', '--fork', '--mount-proc', ENTRYPOINT, ...orphans], env(), { command: 'unshare' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^zombies=0$/m);
    assert.ok(!r.stderr.includes('without an init'), r.stderr);
  });

  test('item 10: as PID 1 with no init to be found, it says so loudly (and the orphans indeed stay zombies)', { skip: unlessAble(canUnshare('--pid', '--fork', '--mount-proc'), 'unshare --pid') }, async () => {
    const bin = tempDir();
    for (const tool of ['sh', 'sleep', 'cat']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await run(['--pid', '--fork', '--mount-proc', ENTRYPOINT, ...orphans], { ...env(), PATH: bin }, { command: execFileSync('sh', ['-c', 'command -v unshare'], { encoding: 'utf8' }).trim() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: docker-entrypoint runs as PID 1 without an init: orphaned processes will not be reaped\. Run the container with --init, or install tini/);
    assert.match(r.stdout, /^zombies=5$/m, 'the test sees zombies when nobody reaps them');
  });

  test('tini as PID 1 in a new PID namespace: SIGTERM reaches the command and the code comes back', { skip: unlessAble(canUnshare('--pid', '--fork') && has('tini'), 'unshare --pid and tini') }, async () => {
    const s = start(['--pid', '--fork', '--mount-proc', 'tini', '--', ENTRYPOINT, ...trapTerm], env(), { command: 'unshare' });
    await waitFor(() => s.output().includes('ready'));
    const tini = execFileSync('pgrep', ['-P', String(s.child.pid), '-x', 'tini'], { encoding: 'utf8' }).trim();
    process.kill(Number(tini), 'SIGTERM');
    const r = await s.done;
    assert.equal(r.code, 42, r.stderr);
    assert.match(r.stdout, /got-term/);
  });
});
