// Activations per second and latency under 50 connections from a separate autocannon process,
// beside GET /health (the HTTP layer's own ceiling) measured against the same server in the same run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fixture, startServer } from '../test/helpers/server.ts';
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

function autocannon(url: string, extra: string[]): Promise<Result> {
  const bin = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const child = spawn(process.execPath, [bin, '-c', String(CONNECTIONS), '-d', String(SECONDS), '--json', ...extra, url], { stdio: ['ignore', 'pipe', 'inherit'] });
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
const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
try {
  const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
  const health = await autocannon(`${server.url}/health`, []);
  const activate = await autocannon(`${server.url}/v1/license/activate`, ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body]);
  const row = (name: string, r: Result) =>
    `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.ok).padStart(9)} ${String(r.non2xx + r.errors).padStart(7)}`;
  console.log(`license server, ${CONNECTIONS} connections, ${SECONDS} s each, autocannon in its own process (${process.version})`);
  console.log(`${'endpoint'.padEnd(28)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'2xx'.padStart(9)} ${'failed'.padStart(7)}`);
  console.log(row('GET /health (baseline)', health));
  console.log(row('POST /v1/license/activate', activate));
  console.log(`activations reach ${((activate.rps / health.rps) * 100).toFixed(0)} % of the HTTP layer's ceiling; target ≥ 2000/s: ${activate.rps >= 2000 ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
}
