// Time from a secret scanning alert's arrival at one replica to the leaked token being refused by another replica
// (two license-server processes on one real PostgreSQL), beside a plain activation on that replica in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keyDocument, match, scannerKey, signedHeaders } from '../test/helpers/scanner.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startServer, tempDir } from '../test/helpers/server.ts';
import { KEY_SECRET, startPostgres } from '../test/helpers/postgres.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const row = (name: string, ms: number[]) => `${name.padEnd(52)} p50 ${pct(ms, 50).toFixed(2).padStart(7)} ms   p95 ${pct(ms, 95).toFixed(2).padStart(7)} ms   (n=${ms.length})`;

async function main(): Promise<void> {
  const pg = await startPostgres({ skip: (why) => { throw new Error(`PostgreSQL is needed: ${why}`); } });
  const url = await pg!.createDatabase('leaks_bench');
  const github = scannerKey('bench-key');
  const keys = join(tempDir(), 'keys.json');
  writeFileSync(keys, keyDocument([github]));
  const f = fixture();
  const args = ['--rate-limit', '0', '--database', url, '--secret-scanning-keys', keys];
  const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };
  const a = await startServer({ seed: f.seed, args, env });
  const b = await startServer({ args, env });
  try {
    const alertMs: number[] = [];
    const refusedOnBMs: number[] = [];
    const plainMs: number[] = [];
    const refusedActivationMs: number[] = [];
    // Warm both replicas (connections, JIT) before measuring.
    for (let i = 0; i < 20; i++) await activateVia(b, f.admin);
    for (let i = 0; i < ROUNDS; i++) {
      const added = await api(a, 'POST', '/admin/v1/workspaces/ws-acme/members', { token: ADMIN_TOKEN, body: { email: `leak-${i}@acme.test`, role: 'member' } });
      const token = added.json.authToken as string;
      const body = JSON.stringify([match(token, `https://github.com/acme/bench/blob/main/round-${i}.env`)]);
      const headers = signedHeaders(body, github);

      const p0 = performance.now();
      const plain = await activateVia(b, f.admin);
      plainMs.push(performance.now() - p0);
      if (plain.status !== 200) throw new Error(`plain activation answered ${plain.status}`);

      const t0 = performance.now();
      const answered = await api(a, 'POST', '/v1/secret-scanning/alerts', { raw: body, headers });
      const t1 = performance.now();
      if (answered.json?.[0]?.label !== 'true_positive') throw new Error(`alert answered ${answered.status} ${answered.text}`);
      // The first activation on the other replica after the answer must already be refused: the revocation is committed.
      const refused = await activateVia(b, token);
      const t2 = performance.now();
      if (refused.json?.error?.code !== 'licensing.credentials.leaked') throw new Error(`replica B answered ${refused.status} ${refused.text}`);
      alertMs.push(t1 - t0);
      refusedActivationMs.push(t2 - t1);
      refusedOnBMs.push(t2 - t0);
    }
    console.log(`bench:leaks — two license-server replicas on one PostgreSQL (${ROUNDS} rounds, one token per alert)`);
    console.log(row('alert answered by replica A (revoked, committed)', alertMs));
    console.log(row('refused activation on replica B (credentials.leaked)', refusedActivationMs));
    console.log(row('alert arrival at A → token refused on B', refusedOnBMs));
    console.log(row('baseline: plain activation on replica B', plainMs));
  } finally {
    await a.stop();
    await b.stop();
    pg!.destroy();
  }
}

await main();
