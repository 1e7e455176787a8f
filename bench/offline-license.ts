// Wall time of `docker-entrypoint true` with an offline license (no credential, no network; issue 21), beside the
// fast offline start from a cached 24-hour license and `node -e 0`, measured interleaved in the same run.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, cacheWith, ENTRYPOINT, refusedEndpoint } from '../test/helpers/entrypoint.ts';
import { api, ADMIN_TOKEN, fixture, startServer, tempDir } from '../test/helpers/server.ts';
import { writeJwks } from '../test/helpers/keys.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const f = fixture();
(f.seed as { workspaces: { license: { seats: number } }[] }).workspaces[0]!.license.seats = 5;
const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
try {
  const trusted = writeJwks(tempDir(), (await api(server, 'GET', '/.well-known/jwks.json')).json.keys);
  const issued = await api(server, 'POST', '/admin/v1/workspaces/ws-acme/offline-licenses', { token: ADMIN_TOKEN, body: { name: 'bench', seats: 1, validUntil: new Date(Date.now() + 90 * 86_400_000).toISOString() } });
  const file = join(tempDir(), 'license.json');
  writeFileSync(file, issued.json.file);
  const daily = (await api(server, 'POST', '/v1/license/activate', { token: f.admin, body: { product: 'localstack-pro', version: '4.0.0', ci: false } })).json.license as string;
  const refused = await refusedEndpoint();
  const cases = {
    'node -e 0': { command: process.execPath, args: ['-e', '0'], env: baseEnv() },
    'cached 24-hour license, server refused (fast offline start)': { command: ENTRYPOINT, args: ['true'], env: baseEnv({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: refused, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheWith(daily) }) },
    'offline license, no credential, no network': { command: ENTRYPOINT, args: ['true'], env: baseEnv({ LOCALSTACK_LICENSE_FILE: file, API_ENDPOINT: refused, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: tempDir() }) },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < RUNS + 2; i++) {
    for (const [name, c] of Object.entries(cases)) {
      const t0 = performance.now();
      const r = spawnSync(c.command, c.args, { env: c.env, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${name}: exited ${r.status}: ${r.stderr}`);
      if (i >= 2) times[name]!.push(performance.now() - t0); // two warm-up rounds fill the page cache
    }
  }
  for (const [name, xs] of Object.entries(times)) console.log(`${name.padEnd(62)} median ${median(xs).toFixed(1)} ms over ${xs.length} runs`);
} finally {
  await server.stop();
}
