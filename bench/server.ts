// Activations per second and latency under 50 connections from a separate autocannon process,
// beside GET /health (the HTTP layer's own ceiling) measured against the same server in the same run.
// Every activation is committed before it is answered; the run checks that the database holds one row per 2xx.
import { spawn } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { importJWK } from 'jose';
import { signLicense } from '../src/core/license.ts';
import { SigningKeys } from '../src/server/signing/keys.ts';
import { api, fixture, startServer, tempDir, type RunningServer } from '../test/helpers/server.ts';
import { startOidcIssuer } from '../test/helpers/oidc-issuer.ts';
import { KEY_SECRET, startPostgres } from '../test/helpers/postgres.ts';
import { ROOT } from '../test/helpers/paths.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
// The activation's cost in the unit issue 22 states: server CPU per activation ÷ (server CPU per /health + one signature).
const TARGET = { cost: 1.5, p99Ms: 10 };

/** One line: the cost ratio beside its parts and its target, and the p99 at 50 connections. */
function costLine(store: string, activationUs: number, parts: string, healthUs: number, signUs: number, p99: number): string {
  const cost = activationUs / (healthUs + signUs);
  return `${store}: an activation costs ${cost.toFixed(2)}× (/health + one signature) = ${activationUs.toFixed(0)} µs${parts} ÷ ` +
    `(${healthUs.toFixed(0)} µs per /health + ${signUs.toFixed(0)} µs per Ed25519 signature) (target ≤ ${TARGET.cost}×: ${cost <= TARGET.cost ? 'met' : 'NOT met'}); ` +
    `p99 ${p99} ms at ${CONNECTIONS} connections (target ≤ ${TARGET.p99Ms}: ${p99 <= TARGET.p99Ms ? 'met' : 'NOT met'})`;
}

interface Result {
  /** CPU the load generator spent per request (sampled every 100 ms while it ran). */
  loadUs: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

/** autocannon's CLI, or (`script`) another load generator that prints the same JSON. */
function autocannon(url: string, extra: string[], connections = CONNECTIONS, script?: string[]): Promise<Result> {
  const bin = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const child = spawn(process.execPath, script ?? [bin, '-c', String(connections), '-d', String(SECONDS), '--json', ...extra, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  let loadCpu = 0;
  const sampler = setInterval(() => {
    try {
      loadCpu = cpuSeconds(child.pid!);
    } catch {
      // it has just ended: the last sample stands
    }
  }, 100);
  return new Promise((resolve, reject) => {
    // 'close', not 'exit': the JSON on stdout may still be in the pipe when the process has exited.
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      resolve({ loadUs: (loadCpu * 1e6) / Math.max(1, r['2xx'] + r.non2xx), rps: r.requests.average, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, p50: r.latency.p50, p99: r.latency.p99 });
    });
  });
}

/**
 * Microseconds per signature, same key, same claims: jose's SignJWT; node:crypto's Ed25519 on the event loop (what
 * the server does; CPU time, the cost ratio's signature part); and node:crypto on libuv's thread pool, as event-loop
 * time and wall time with 50 in flight.
 */
async function signingCost(): Promise<{ jose: number; direct: number; poolLoop: number; poolWall: number }> {
  const dir = tempDir('pa-bench-keys-');
  const keys = SigningKeys.load(dir, false);
  const jwk = JSON.parse(readFileSync(join(dir, 'signing-keys.json'), 'utf8')).current;
  const privateKey = await importJWK(jwk, 'EdDSA');
  const keyObject = createPrivateKey({ key: jwk, format: 'jwk' });
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://127.0.0.1:8080', aud: 'localstack-pro', sub: 'ci-00000000-0000-0000-0000-000000000000', jti: 'act-00000000-0000-0000-0000-000000000000',
    iat: now, nbf: now, exp: now + 86400, tok: 'x'.repeat(43), ci: true,
    lic: { id: 'lic-1', type: 'subscription' as const, plan: 'pro', status: 'ACTIVE', expiresAt: '2099-01-01T00:00:00.000Z' },
    ws: { id: 'ws-acme', name: 'Acme' }, features: ['xray', 'appsync', 'ecs', 'eks', 'rds', 'elasticache', 'cognito-idp', 'iot', 'glue', 'athena'],
  };
  const N = 5_000;
  let t = performance.now();
  for (let i = 0; i < N; i++) await signLicense(claims, { privateKey, kid: keys.kid });
  const jose = ((performance.now() - t) * 1000) / N;
  const input = Buffer.from(`${keys.kid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`);
  // CPU time, not wall time, like the server's figures: on cores shared with other work, wall time counts the waits.
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) sign(null, input, keyObject);
  const used = process.cpuUsage(cpu);
  const direct = (used.user + used.system) / N;
  const elu = performance.eventLoopUtilization();
  t = performance.now();
  const onPool = promisify(sign);
  for (let done = 0; done < N; done += 50) await Promise.all(Array.from({ length: 50 }, () => onPool(null, input, keyObject)));
  const poolWall = ((performance.now() - t) * 1000) / N;
  const poolLoop = (performance.eventLoopUtilization(elu).active * 1000) / N;
  return { jose, direct, poolLoop, poolWall };
}

/** CPU seconds (user + system) the process (or, with `tid`, one of its threads) has used, whatever else runs on the machine. */
function cpuSeconds(pid: number, tid?: number): number {
  const fields = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A log collector's part: the server's output is read and dropped, so the bench process does not grow with the access log. */
function discardOutput(server: RunningServer): RunningServer {
  server.process.stdout!.removeAllListeners('data');
  server.process.stdout!.resume();
  return server;
}

/** Runs autocannon and measures the server's CPU time per answered request. */
async function measure(pid: number, url: string, extra: string[], script?: string[]): Promise<Result & { cpuUs: number; loopUs: number }> {
  const [before, loopBefore] = [cpuSeconds(pid), cpuSeconds(pid, pid)];
  const r = await autocannon(url, extra, CONNECTIONS, script);
  const n = Math.max(1, r.ok + r.non2xx);
  // The main thread (tid = pid) runs the event loop; the rest is the thread pool, the writer thread and V8's helpers.
  return { ...r, cpuUs: ((cpuSeconds(pid) - before) * 1e6) / n, loopUs: ((cpuSeconds(pid, pid) - loopBefore) * 1e6) / n };
}

const f = fixture();
// With the access log on (LOG_LEVEL=info, as docs/self-hosting.md runs it; the server's default is off): LOG_LEVEL=warn
// measures without it (about 10 µs less per request, /health alike).
const logLevel = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
const server = discardOutput(await startServer({ seed: f.seed, args: ['--rate-limit', '0'], env: logLevel }));
let activate: Result & { cpuUs: number; loopUs: number };
let health: Result & { cpuUs: number; loopUs: number };
try {
  const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
  health = await measure(server.process.pid!, `${server.url}/health`, []);
  activate = await measure(server.process.pid!, `${server.url}/v1/license/activate`, ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body]);
} finally {
  await server.kill();
}
const db = new DatabaseSync(join(server.dataDir, 'license.db'), { readOnly: true });
const rows = (db.prepare('SELECT count(*) AS n FROM activations').get() as { n: number }).n;
db.close();
const signing = await signingCost();

const row = (name: string, r: Result & { cpuUs: number; loopUs: number }) =>
  `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.ok).padStart(9)} ${String(r.non2xx + r.errors).padStart(7)} ${r.cpuUs.toFixed(0).padStart(8)} ${r.loopUs.toFixed(0).padStart(8)}`;
const ratio = activate.rps / health.rps;
console.log(`license server, ${CONNECTIONS} connections, ${SECONDS} s each, autocannon in its own process (${process.version})`);
console.log(`${'endpoint'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(9)} ${'failed'.padStart(7)} ${'cpu µs'.padStart(8)} ${'loop µs'.padStart(8)}`);
console.log(row('GET /health (baseline)', health));
console.log(row('POST /v1/license/activate', activate));
console.log(`activations reach ${ratio.toFixed(2)} of /health's rate in the same run`);
console.log(`server CPU per request: /health ${health.cpuUs.toFixed(0)} µs, activation ${activate.cpuUs.toFixed(0)} µs; ` +
  `on a core of its own the server would answer activations at ${(health.cpuUs / activate.cpuUs).toFixed(2)} of its /health rate (load average ${loadavg()[0].toFixed(1)} during the run)`);
// Both runs are CPU-bound on cores shared with the load generator: a request costs the server's CPU plus the
// generator's. Even if the activation cost nothing beyond a /health-sized exchange and its Ed25519 signature,
// its rate could reach only this share of /health's.
const perHealth = health.cpuUs + health.loadUs;
const perActivation = activate.cpuUs + activate.loadUs;
const floor = health.cpuUs + signing.direct + activate.loadUs;
console.log(`CPU per request, server + load generator: /health ${health.cpuUs.toFixed(0)} + ${health.loadUs.toFixed(0)} µs, activation ` +
  `${activate.cpuUs.toFixed(0)} + ${activate.loadUs.toFixed(0)} µs (${(perHealth / perActivation).toFixed(2)} of /health's rate at equal CPU); ` +
  `an activation that cost only a /health exchange and one signature (${floor.toFixed(0)} µs) would reach ${(perHealth / floor).toFixed(2)}`);
console.log(`durability: ${activate.ok} activations answered 2xx, ${rows} rows after kill -9 (${rows >= activate.ok ? 'every answered activation stored' : 'ROWS MISSING'})`);
console.log(`signing one license: jose SignJWT ${signing.jose.toFixed(1)} µs, node:crypto Ed25519 ${signing.direct.toFixed(1)} µs of CPU on the event loop; ` +
  `on the thread pool ${signing.poolLoop.toFixed(1)} µs of event-loop time, ${signing.poolWall.toFixed(1)} µs wall per license with 50 in flight`);
console.log(costLine('SQLite', activate.cpuUs, ` (event loop ${activate.loopUs.toFixed(0)} µs, other threads ${(activate.cpuUs - activate.loopUs).toFixed(0)} µs)`, health.cpuUs, signing.direct, activate.p99));
if (rows < activate.ok) process.exitCode = 1;

// ID tokens (CI without secrets): the same server activates with a CI token and with pre-signed RS256 ID tokens of a
// real HTTPS issuer (each token once: the jti is recorded), side by side; the issuer's keys are fetched once and cached.
if (process.env.BENCH_OIDC !== '0') {
  const issuer = await startOidcIssuer();
  const oidcServer = discardOutput(await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--oidc-issuer', issuer.url], env: { ...logLevel, NODE_EXTRA_CA_CERTS: issuer.caFile } }));
  const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
  try {
    const added = await api(oidcServer, 'POST', '/v1/ci-trusts', { token: f.admin, body: { name: 'bench', issuer: issuer.url, conditions: { repository: 'acme/app', ref: 'refs/heads/main' } } });
    if (added.status !== 201) throw new Error(`trust not added: ${added.text}`);
    const count = Number(process.env.BENCH_OIDC_TOKENS ?? 8000);
    const tokens: string[] = [];
    // BENCH_OIDC_JTI=0: tokens without jti (GitHub's and GitLab's have one), to see what recording the use costs.
    const claims = process.env.BENCH_OIDC_JTI === '0' ? { jti: undefined } : {};
    for (let i = 0; i < count + 1; i++) tokens.push(await issuer.sign(claims, { audience: oidcServer.url, expiresInS: 3600 }));
    // One activation first: discovery and the key set are fetched once, then served from the key cache.
    const warm = await api(oidcServer, 'POST', '/v1/license/activate', { token: tokens.pop(), body: JSON.parse(body) });
    if (warm.status !== 200) throw new Error(`ID token refused: ${warm.text}`);
    const file = join(tempDir('pa-bench-oidc-'), 'tokens');
    writeFileSync(file, tokens.join('\n'));
    const pid = oidcServer.process.pid!;
    const ci = await measure(pid, `${oidcServer.url}/v1/license/activate`, ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body]);
    const id = await measure(pid, '', [], [join(ROOT, 'bench/oidc-load.ts'), `${oidcServer.url}/v1/license/activate`, file, String(CONNECTIONS)]);
    await oidcServer.kill();
    const odb = new DatabaseSync(join(oidcServer.dataDir, 'license.db'), { readOnly: true });
    const piped = (odb.prepare('SELECT count(*) AS n FROM activations WHERE pipeline IS NOT NULL').get() as { n: number }).n;
    odb.close();
    console.log(`\nID token (OIDC) beside CI token, same server, same run (${count} ID tokens, each used once)`);
    console.log(`${'endpoint'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(9)} ${'failed'.padStart(7)} ${'cpu µs'.padStart(8)} ${'loop µs'.padStart(8)}`);
    console.log(row('activate, CI token', ci));
    console.log(row('activate, ID token', id));
    const cpuRatio = id.cpuUs / ci.cpuUs;
    console.log(`server CPU per ID-token activation ${id.cpuUs.toFixed(0)} µs = ${cpuRatio.toFixed(2)}× the CI token's ${ci.cpuUs.toFixed(0)} µs (target ≤ 1.5: ${cpuRatio <= 1.5 ? 'met' : 'NOT met'}); ` +
      `issuer key set fetched ${issuer.hits.get('/.well-known/jwks') ?? 0}×, discovery ${issuer.hits.get('/.well-known/openid-configuration') ?? 0}×; ` +
      `durability: ${id.ok + 1} ID-token activations answered 2xx, ${piped} rows`);
    if (piped < id.ok + 1) process.exitCode = 1;
  } finally {
    await oidcServer.kill();
    await issuer.close();
  }
}

// PostgreSQL: one replica, then two on the same database, each beside /health in the same run. The 50
// connections are split over the replicas (one autocannon process each); PostgreSQL, the replicas and the load
// generators share this machine's cores. PostgreSQL runs with fsync off as in the tests: the figures are of
// the servers, not of this disk.
/** Runs autocannon against every server at once, the connections split evenly; rates add up, latency is the worst. */
async function across(servers: RunningServer[], path: string, extra: string[]): Promise<Result> {
  const parts = await Promise.all(servers.map((s) => autocannon(`${s.url}${path}`, extra, CONNECTIONS / servers.length)));
  const sum = (k: keyof Result) => parts.reduce((n, r) => n + r[k], 0);
  return { loadUs: parts.reduce((n, r) => n + r.loadUs * (r.ok + r.non2xx), 0) / Math.max(1, sum('ok') + sum('non2xx')), rps: sum('rps'), ok: sum('ok'), non2xx: sum('non2xx'), errors: sum('errors'), p50: Math.max(...parts.map((r) => r.p50)), p99: Math.max(...parts.map((r) => r.p99)) };
}

if (process.env.BENCH_POSTGRES !== '0') {
  const pg = await startPostgres({ skip: (why) => console.log(`PostgreSQL skipped: ${why}`) });
  if (pg) {
    const url = await pg.createDatabase();
    const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET, ...logLevel };
    const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
    const activateArgs = ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body];
    const replicas = [discardOutput(await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--database', url], env }))];
    const pgRow = (name: string, r: Result) =>
      `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.ok).padStart(9)} ${String(r.non2xx + r.errors).padStart(7)}`;
    console.log(`\nPostgreSQL ${CONNECTIONS} connections in all, split over the replicas`);
    console.log(`${'endpoint'.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(9)} ${'failed'.padStart(7)}`);
    try {
      let answered = 0;
      for (const n of [1, 2]) {
        if (replicas.length < n) replicas.push(discardOutput(await startServer({ args: ['--rate-limit', '0', '--database', url], env })));
        const cpu = (pids: number[]) => pids.reduce((t, pid) => {
          try {
            return t + cpuSeconds(pid);
          } catch {
            return t; // a backend that ended meanwhile
          }
        }, 0);
        const h0 = cpu(replicas.map((r) => r.process.pid!));
        const h = await across(replicas, '/health', []);
        const healthUs = (cpu(replicas.map((r) => r.process.pid!)) - h0) * 1e6 / Math.max(1, h.ok + h.non2xx);
        // PostgreSQL's backends live as long as their connections: measured at the end, before the pools close.
        const [node0, pg0] = [cpu(replicas.map((r) => r.process.pid!)), cpu(pg.pids())];
        const a = await across(replicas, '/v1/license/activate', activateArgs);
        const [nodeUs, pgUs] = [(cpu(replicas.map((r) => r.process.pid!)) - node0) * 1e6 / a.ok, (cpu(pg.pids()) - pg0) * 1e6 / a.ok];
        answered += a.ok;
        console.log(pgRow(`${n} replica${n > 1 ? 's' : ''}: GET /health`, h));
        console.log(pgRow(`${n} replica${n > 1 ? 's' : ''}: POST activate`, a));
        console.log(`  → activations at ${(a.rps / h.rps).toFixed(2)} of /health in the same run, p99 ${a.p99} ms; ` +
          `CPU per activation: replicas ${nodeUs.toFixed(0)} µs + PostgreSQL ${pgUs.toFixed(0)} µs (load average ${loadavg()[0].toFixed(1)})`);
        console.log(`  ${costLine(`PostgreSQL, ${n} replica${n > 1 ? 's' : ''}`, nodeUs + pgUs, ` (replicas ${nodeUs.toFixed(0)} µs + PostgreSQL ${pgUs.toFixed(0)} µs)`, healthUs, signing.direct, a.p99)}`);
      }
      const stored = Number((await pg.query('SELECT count(*) AS n FROM activations', url.split('/').pop())).rows[0].n);
      console.log(`durability: ${answered} activations answered 2xx, ${stored} rows (${stored >= answered ? 'every answered activation stored' : 'ROWS MISSING'})`);
      if (stored < answered) process.exitCode = 1;
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
      pg.destroy();
    }
  }
}
