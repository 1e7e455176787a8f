// Activations per second and latency under 50 connections from a separate autocannon process,
// beside GET /health (the HTTP layer's own ceiling) measured against the same server in the same run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fixture, startServer, type RunningServer } from '../test/helpers/server.ts';
import { KEY_SECRET, startPostgres } from '../test/helpers/postgres.ts';
import { ROOT } from '../test/helpers/paths.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;

interface Result {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

function autocannon(url: string, extra: string[], connections = CONNECTIONS): Promise<Result> {
  const bin = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const child = spawn(process.execPath, [bin, '-c', String(connections), '-d', String(SECONDS), '--json', ...extra, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      resolve({ rps: r.requests.average, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, p50: r.latency.p50, p99: r.latency.p99 });
    });
  });
}

const f = fixture();
const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
const activateArgs = ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body];
const row = (name: string, r: Result) =>
  `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.ok).padStart(9)} ${String(r.non2xx + r.errors).padStart(7)}`;

/** The 50 connections split evenly over the servers, one autocannon process each, run at the same time; rates add up. */
async function across(servers: RunningServer[], path: string, extra: string[]): Promise<Result> {
  const parts = await Promise.all(servers.map((s) => autocannon(`${s.url}${path}`, extra, CONNECTIONS / servers.length)));
  const sum = (k: keyof Result) => parts.reduce((n, r) => n + r[k], 0);
  return { rps: sum('rps'), ok: sum('ok'), non2xx: sum('non2xx'), errors: sum('errors'), p50: Math.max(...parts.map((r) => r.p50)), p99: Math.max(...parts.map((r) => r.p99)) };
}

async function measure(name: string, servers: RunningServer[]): Promise<void> {
  const health = await across(servers, '/health', []);
  const activate = await across(servers, '/v1/license/activate', activateArgs);
  console.log(row(`${name}: GET /health`, health));
  console.log(row(`${name}: POST activate`, activate));
  console.log(`  → activations at ${((activate.rps / health.rps) * 100).toFixed(0)} % of /health in the same run, p99 ${activate.p99} ms`);
}

console.log(`license server, ${CONNECTIONS} connections in all, ${SECONDS} s each, autocannon in its own process(es) (${process.version})`);
console.log(`${'endpoint'.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(9)} ${'failed'.padStart(7)}`);
const sqlite = await startServer({ seed: f.seed, args: ['--rate-limit', '0'], env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' } });
try {
  await measure('SQLite', [sqlite]);
} finally {
  await sqlite.stop();
}

// PostgreSQL on the same machine (fsync off as in the tests, so the figures are of the servers, not of this disk).
if (process.env.BENCH_POSTGRES !== '0') {
  const pg = await startPostgres({ skip: (why) => console.log(`PostgreSQL skipped: ${why}`) });
  if (pg) {
    const url = await pg.createDatabase();
    const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
    const replicas = [await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--database', url], env })];
    try {
      await measure('PostgreSQL, 1 replica', replicas);
      replicas.push(await startServer({ args: ['--rate-limit', '0', '--database', url], env }));
      await measure('PostgreSQL, 2 replicas', replicas);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
      pg.destroy();
    }
  }
}
