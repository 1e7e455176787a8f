// Where one activation's server CPU goes: the server (from source, so frames name their files) under bench:server's
// load with --cpu-prof, then the profile summed by self time per function and per file or package.
// BENCH_PATH=/health profiles the baseline instead; BENCH_DATABASE=postgres://… runs it on PostgreSQL.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixture, tempDir } from '../test/helpers/server.ts';
import { ROOT } from '../test/helpers/paths.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PATH = process.env.BENCH_PATH ?? '/v1/license/activate';
const TOP = Number(process.env.BENCH_TOP ?? 40);

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const f = fixture();
const dataDir = tempDir('pa-profile-');
const profDir = tempDir('pa-profile-out-');
const seedFile = join(tempDir('pa-seed-'), 'seed.json');
writeFileSync(seedFile, JSON.stringify(f.seed));
const args = ['--cpu-prof', '--cpu-prof-dir', profDir, join(ROOT, 'src/server/main.ts'), '--port', '0', '--data-dir', dataDir, '--seed', seedFile, '--rate-limit', '0',
  ...(process.env.BENCH_DATABASE ? ['--database', process.env.BENCH_DATABASE] : [])];
const server = spawn(process.execPath, args, { env: { PATH: process.env.PATH, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...(process.env.LICENSE_SERVER_KEY_SECRET && { LICENSE_SERVER_KEY_SECRET: process.env.LICENSE_SERVER_KEY_SECRET }) }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    const m = /license server listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) {
      server.stdout!.removeAllListeners('data');
      server.stdout!.resume();
      resolve(m[1]);
    }
  });
  server.once('exit', (code) => reject(new Error(`license server exited ${code}`)));
});
const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true, ciProvider: 'bench', machineId: 'bench' });
const load = PATH === '/health' ? [] : ['-m', 'POST', '-H', `authorization=Bearer ${f.ci}`, '-H', 'content-type=application/json', '-b', body];
const cannon = spawn(process.execPath, [join(ROOT, 'node_modules/autocannon/autocannon.js'), '-c', '50', '-d', String(SECONDS), '--json', ...load, `${url}${PATH}`], { stdio: ['ignore', 'pipe', 'inherit'] });
let json = '';
cannon.stdout!.on('data', (d) => (json += d));
await new Promise((done) => cannon.once('close', done));
const requests = JSON.parse(json)['2xx'] as number;
const exited = new Promise((done) => server.once('exit', done));
server.kill('SIGTERM');
await exited;

const profile = JSON.parse(readFileSync(join(profDir, readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'))!), 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));
const where = (u: string) => {
  if (!u) return '(native)';
  const path = u.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return pkg ? pkg[1] : path.startsWith('node:') ? path : relative(ROOT, path);
};
const fns = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url: u, lineNumber } = byId.get(id)!.callFrame;
  const file = where(u);
  const fn = `${functionName || '(anonymous)'} ${file}${u ? `:${lineNumber + 1}` : ''}`;
  fns.set(fn, (fns.get(fn) ?? 0) + us);
  files.set(file, (files.get(file) ?? 0) + us);
}
const idle = [...self].filter(([id]) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)!.callFrame.functionName));
const per = (us: number) => (us / requests).toFixed(2).padStart(7);
console.log(`${PATH}: ${requests} answered in ${SECONDS} s; µs of main-thread CPU per request, by self time (${idle.map(([id, us]) => `${byId.get(id)!.callFrame.functionName} ${per(us).trim()}`).join(', ')})`);
console.log('\nby file or package');
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${per(us)}  ${k}`);
console.log('\nby function');
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${per(us)}  ${k}`);
