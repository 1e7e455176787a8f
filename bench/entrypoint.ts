// Wall time of `docker-entrypoint true` (warm online path; offline with a usable cache, the fast offline start;
// offline without one, the full retry policy) and the entrypoint's RSS while the command runs, each beside
// `node -e 0` / the warm path / an idle node process measured in the same run; then each dependency's import cost.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, cacheDir, ENTRYPOINT, refusedEndpoint } from '../test/helpers/entrypoint.ts';
import { ROOT } from '../test/helpers/paths.ts';
import { api, fixture, startServer, tempDir } from '../test/helpers/server.ts';
import { writeJwks } from '../test/helpers/keys.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Case { command: string; args: string[]; env: Record<string, string>; expect?: number }

/**
 * Runs the cases in turn, round after round, so that a load change on the machine hits them all alike; the median of
 * what `measure` makes of each run (two warm-up rounds, which fill the page cache, left out).
 */
function interleaved(cases: Case[], measure: (c: Case) => number): number[] {
  const times: number[][] = cases.map(() => []);
  for (let i = 0; i < RUNS + 2; i++) {
    cases.forEach((c, k) => {
      const ms = measure(c);
      if (i >= 2) times[k]!.push(ms);
    });
  }
  return times.map(median);
}

function run(c: Case, stdout: 'ignore' | 'pipe') {
  const r = spawnSync(c.command, c.args, { env: c.env, stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8' });
  if (r.status !== (c.expect ?? 0)) throw new Error(`${c.command} ${c.args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** Wall time of each case, start to exit. */
function timeInterleaved(cases: Case[]): number[] {
  return interleaved(cases, (c) => {
    const t0 = performance.now();
    run(c, 'ignore');
    return performance.now() - t0;
  });
}

function timeRuns(command: string, args: string[], env: Record<string, string>, expect = 0): number {
  return timeInterleaved([{ command, args, env, expect }])[0]!;
}

/** Time from spawning each case to its command's first instruction (`date` prints when it runs): the product's wait. */
function untilCommandStarts(cases: Case[]): number[] {
  return interleaved(cases, (c) => {
    const t0 = performance.timeOrigin + performance.now();
    const r = run({ ...c, args: [...c.args, 'date', '+%s%N'] }, 'pipe');
    return Number(BigInt(r.stdout.trim()) / 1000n) / 1000 - t0;
  });
}

/** Resident memory, and its anonymous part (heap and stacks: what no other process shares, unlike the binary's pages). */
function rssKiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), anon: kib('RssAnon') };
}

async function rssWhileRunning(command: string, args: string[], env: Record<string, string>, ready: (out: string) => boolean): Promise<{ rss: number; anon: number }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  while (!ready(out)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  const kib = rssKiB(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return kib;
}

const node = process.execPath;
const f = fixture();
const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
try {
  const keys = writeJwks(tempDir(), (await api(server, 'GET', '/.well-known/jwks.json')).json.keys);
  const cache = cacheDir();
  const online = baseEnv({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: keys, LICENSE_CACHE_DIR: cache });
  const offline = { ...online, API_ENDPOINT: await refusedEndpoint() };
  const offlineNoCache = { ...offline, LICENSE_CACHE_DIR: cacheDir() };

  // The launcher and its bundle without the code cache built beside it: V8 compiles the bundle as it runs.
  const uncached = tempDir();
  mkdirSync(join(uncached, 'dist/main'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(uncached, 'package.json'));
  for (const f of ['docker-entrypoint.js', 'main/docker-entrypoint.cjs']) copyFileSync(join(ROOT, 'dist', f), join(uncached, 'dist', f));

  const [baseline, floor, warm, noCodeCache, off] = timeInterleaved([
    { command: node, args: ['-e', '0'], env: online },
    { command: node, args: [join(ROOT, 'bench/entrypoint-floor.mjs'), 'true'], env: online },
    { command: ENTRYPOINT, args: ['true'], env: online },
    { command: node, args: [join(uncached, 'dist/docker-entrypoint.js'), 'true'], env: online },
    { command: ENTRYPOINT, args: ['true'], env: offline },
  ]);
  const [floorStart, warmStart] = untilCommandStarts([
    { command: node, args: [join(ROOT, 'bench/entrypoint-floor.mjs')], env: online },
    { command: ENTRYPOINT, args: [], env: online },
  ]);
  const offNoCache = timeRuns(ENTRYPOINT, ['true'], offlineNoCache, 55);
  const idle = await rssWhileRunning(node, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], online, (o) => o.includes('ready'));
  const rss = await rssWhileRunning(ENTRYPOINT, ['sh', '-c', 'echo ready; sleep 30'], online, (o) => o.includes('ready'));
  // sleep 1: the floor forwards no signal, so its command outlives it briefly.
  const floorRss = await rssWhileRunning(node, [join(ROOT, 'bench/entrypoint-floor.mjs'), 'sh', '-c', 'echo ready; sleep 1'], online, (o) => o.includes('ready'));

  console.log(`docker-entrypoint, median of ${RUNS} runs, ${process.version}`);
  console.log(`${'measure'.padEnd(44)} ${'value'.padStart(9)}  ${'baseline'.padStart(9)}  ratio / target`);
  console.log(`${'wall: warm path (online, local server)'.padEnd(44)} ${warm.toFixed(0).padStart(6)} ms  ${baseline.toFixed(0).padStart(6)} ms  ${(warm / baseline).toFixed(2)}× node -e 0 (target ≤ 2×, issue 22: ${warm / baseline <= 2 ? "met" : "NOT met"})`);
  console.log(`${'  essential work only (entrypoint-floor.mjs)'.padEnd(44)} ${floor.toFixed(0).padStart(6)} ms  ${baseline.toFixed(0).padStart(6)} ms  ${(floor / baseline).toFixed(2)}× node -e 0: what Node's http, crypto and spawn cost at least`);
  console.log(`${'  until the command starts (what it delays)'.padEnd(44)} ${warmStart.toFixed(0).padStart(6)} ms  ${baseline.toFixed(0).padStart(6)} ms  ${(warmStart / baseline).toFixed(2)}× node -e 0; the essential work's command starts at ${floorStart.toFixed(0)} ms (${(floorStart / baseline).toFixed(2)}×)`);
  console.log(`${'  without its code cache (compiled as it runs)'.padEnd(44)} ${noCodeCache.toFixed(0).padStart(6)} ms  ${warm.toFixed(0).padStart(6)} ms  +${(noCodeCache - warm).toFixed(0)} ms over warm: the code cache built beside the bundle saves that`);
  console.log(`${'wall: offline start (refused, usable cache)'.padEnd(44)} ${off.toFixed(0).padStart(6)} ms  ${warm.toFixed(0).padStart(6)} ms  ${(off - warm >= 0 ? '+' : '')}${(off - warm).toFixed(0)} ms over warm (target ≤ +100 ms)`);
  console.log(`${'wall: offline, no usable cache (full policy)'.padEnd(44)} ${offNoCache.toFixed(0).padStart(6)} ms  ${warm.toFixed(0).padStart(6)} ms  +${(offNoCache - warm).toFixed(0)} ms over warm (target ≤ +1500 ms)`);
  console.log(`${'RSS while the command runs'.padEnd(44)} ${(rss.rss / 1024).toFixed(1).padStart(5)} MiB  ${(idle.rss / 1024).toFixed(1).padStart(5)} MiB  ${(rss.rss / idle.rss).toFixed(2)}× idle node (target ≤ 1.25×, issue 22: ${rss.rss / idle.rss <= 1.25 ? "met" : "NOT met"})`);
  console.log(`${'  of which anonymous (heap, stacks)'.padEnd(44)} ${(rss.anon / 1024).toFixed(1).padStart(5)} MiB  ${(idle.anon / 1024).toFixed(1).padStart(5)} MiB  +${((rss.anon - idle.anon) / 1024).toFixed(1)} MiB; the rest is the node binary's pages, shared with the product's Node`);
  console.log(`${'  essential work only (entrypoint-floor.mjs)'.padEnd(44)} ${(floorRss.rss / 1024).toFixed(1).padStart(5)} MiB  ${(idle.rss / 1024).toFixed(1).padStart(5)} MiB  ${(floorRss.rss / idle.rss).toFixed(2)}× idle node: what Node's http, crypto and child_process hold at least`);

  console.log('\nimport cost of each dependency, unbundled, in a fresh process (median, beyond `node -e 0`):');
  const imports: [string, string[]][] = [
    // No longer loaded by the entrypoint (issue 22): Node's own http/https and child_process replaced them.
    ['undici (whole package)', ['undici']], ['execa', ['execa']],
    ['jose', ['jose']], ['env-var', ['env-var']],
    ['proper-lockfile', ['proper-lockfile']], ['ci-info', ['ci-info']],
  ];
  const importBaseline = timeRuns(node, ['--input-type=module', '-e', '0'], { PATH: process.env.PATH! });
  for (const [name, specifiers] of imports) {
    const code = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
    const ms = timeRuns(node, ['--input-type=module', '-e', code], { PATH: process.env.PATH! }) - importBaseline;
    console.log(`  ${name.padEnd(30)} ${ms.toFixed(1).padStart(6)} ms`);
  }
} finally {
  await server.stop();
}
