import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../../helpers/postgres.ts';
import { ROOT } from '../../../helpers/paths.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startServer, tempDir, type RunningServer } from '../../../helpers/server.ts';

// The embedded store's fault suite, twinned on PostgreSQL with real faults: a replica killed with SIGKILL
// under load and inside a transaction, PostgreSQL stopped and started under load, its connection limit reached.

let server: Postgres;
const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };
const MAX_ROUNDS = 400;

before(async () => {
  server = (await startPostgres({ skip: () => undefined }, { maxConnections: 40 }))!;
});
after(() => server?.destroy());

const replica = (url: string, seed?: unknown) => startServer({ seed, args: ['--database', url, '--rate-limit', '0'], env });
const dbName = (url: string) => url.split('/').pop()!;
const jtiOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()).jti as string;

interface Answer { status: number; code?: string; retryAfter?: string | null; jti?: string }

/** Clients in a loop over the replicas until stop() (bounded by MAX_ROUNDS each); every answer is kept. */
function load(targets: () => RunningServer[], token: string, clients = 6) {
  const answers: Answer[] = [];
  let running = true;
  const done = Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; running && i < MAX_ROUNDS; i++) {
      const list = targets();
      const s = list[(c + i) % list.length];
      try {
        const r = await activateVia(s, token, { ci: true });
        answers.push({ status: r.status, code: r.json?.error?.code, retryAfter: r.headers.get('retry-after'), jti: r.status === 200 ? jtiOf(r.json.license) : undefined });
      } catch {
        answers.push({ status: 0 });
        await sleep(10);
      }
    }
  }));
  return { answers, stop: async () => { running = false; await done; } };
}

async function storedIds(url: string): Promise<Set<string>> {
  return new Set((await server.query('SELECT id FROM activations', dbName(url))).rows.map((r) => r.id as string));
}

/** Waits (bounded) until fn holds. */
async function until(what: string, fn: () => Promise<boolean> | boolean, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

test('SIGKILL of one replica under load: the others keep answering, every answered activation is stored', async (t) => {
  if (!server) return t.skip(postgresMissing());
  const f = fixture();
  const url = await server.createDatabase();
  const replicas = await Promise.all([replica(url, f.seed), replica(url, f.seed), replica(url, f.seed)]);
  let alive: RunningServer[] = replicas;
  const l = load(() => alive, f.ci);
  try {
    await until('100 answers', () => l.answers.length >= 100);
    await replicas[0].kill();
    alive = replicas.slice(1);
    const at = l.answers.length;
    await until('100 more answers', () => l.answers.length >= at + 100);
    await l.stop();
    const later = l.answers.slice(at + 6);
    assert.ok(later.every((a) => a.status === 200), `after the kill the survivors answer 200: ${JSON.stringify(later.filter((a) => a.status !== 200).slice(0, 3))}`);
    assert.ok(l.answers.every((a) => a.status === 200 || a.status === 0), 'the killed replica refused connections; nothing else failed');
    const stored = await storedIds(url);
    const ok = l.answers.filter((a) => a.status === 200);
    assert.deepEqual(ok.filter((a) => !stored.has(a.jti!)), [], 'nothing answered is lost');
    for (const s of alive) assert.equal((await api(s, 'GET', '/ready')).status, 200);
  } finally {
    await l.stop();
    await Promise.all(alive.map((s) => s.stop()));
  }
});

test('PostgreSQL stopped under load: 503 store.unavailable with Retry-After while it is down, the replicas recover by themselves', async (t) => {
  if (!server) return t.skip(postgresMissing());
  const f = fixture();
  const url = await server.createDatabase();
  const replicas = await Promise.all([replica(url, f.seed), replica(url, f.seed)]);
  const l = load(() => replicas, f.ci, 4);
  try {
    await until('50 answers', () => l.answers.length >= 50);
    server.stop();
    const down = l.answers.length;
    await until('40 answers while PostgreSQL is down', () => l.answers.length >= down + 40);
    const ready = await api(replicas[0], 'GET', '/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.json.error.code, 'store.unavailable');
    assert.equal((await api(replicas[1], 'GET', '/health')).status, 200, 'the process itself is alive');
    server.start();
    await until('activations succeed again on both replicas', async () =>
      (await activateVia(replicas[0], f.ci, { ci: true })).status === 200 && (await activateVia(replicas[1], f.ci, { ci: true })).status === 200);
    const back = l.answers.length;
    await until('30 answers after the restart', () => l.answers.length >= back + 30);
    await l.stop();

    const failed = l.answers.filter((a) => a.status !== 200);
    assert.ok(failed.length > 0, 'the outage was seen');
    for (const a of failed) {
      assert.equal(a.status, 503, JSON.stringify(a));
      assert.equal(a.code, 'store.unavailable');
      assert.equal(a.retryAfter, '2');
    }
    assert.ok(l.answers.slice(-20).every((a) => a.status === 200), 'recovered without a restart of the replicas');
    const stored = await storedIds(url);
    assert.deepEqual(l.answers.filter((a) => a.status === 200 && !stored.has(a.jti!)), [], 'nothing answered is lost');
    for (const s of replicas) {
      assert.equal(s.process.exitCode, null, 'no replica crashed');
      assert.equal((await api(s, 'GET', '/ready')).status, 200);
      assert.doesNotMatch(s.output(), /\n\s+at .*\.js/, 'no stack trace in the log');
    }
  } finally {
    await l.stop();
    await Promise.all(replicas.map((s) => s.stop()));
  }
});

test('the connection limit reached: 503 store.unavailable with Retry-After, then normal service once connections are free', async (t) => {
  if (!server) return t.skip(postgresMissing());
  const f = fixture();
  const url = await server.createDatabase();
  const s = await replica(url, f.seed);
  const hogs: pg.Client[] = [];
  try {
    assert.equal((await activateVia(s, f.ci, { ci: true })).status, 200);
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    hogs.push(admin);
    // The replica's open connections are cut (as a failover would), then every free slot is taken by another program.
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName(url)}' AND application_name = 'license-server'`);
    for (let i = 0; i < 60; i++) {
      const c = new pg.Client({ connectionString: server.adminUrl });
      try {
        await c.connect();
        hogs.push(c);
      } catch (error) {
        assert.equal((error as { code?: string }).code, '53300');
        break;
      }
    }
    const answers = await Promise.all(Array.from({ length: 5 }, () => activateVia(s, f.ci, { ci: true })));
    for (const r of answers) {
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json.error.code, 'store.unavailable');
      assert.match(r.json.error.message, /too many clients|no free connection/);
      assert.equal(r.headers.get('retry-after'), '2');
    }
    assert.equal((await api(s, 'GET', '/ready')).status, 503);
    for (const c of hogs.splice(1)) await c.end();
    await until('an activation succeeds again', async () => (await activateVia(s, f.ci, { ci: true })).status === 200);
    assert.equal(s.process.exitCode, null);
  } finally {
    for (const c of hogs) await c.end().catch(() => undefined);
    await s.stop();
  }
});

test('a replica killed inside a transaction holding the write lock: the others write on, nothing of it is stored', async (t) => {
  if (!server) return t.skip(postgresMissing());
  const f = fixture();
  const url = await server.createDatabase();
  const [a, b] = await Promise.all([replica(url, f.seed), replica(url, f.seed)]);
  const blocker = new pg.Client({ connectionString: url });
  await blocker.connect();
  try {
    // Another program holds the workspaces table: A's transaction takes the write lock, then waits inside it.
    await blocker.query('BEGIN; LOCK TABLE workspaces IN EXCLUSIVE MODE');
    const pending = api(a, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, body: { id: 'ws-half', name: 'half' } }).catch(() => undefined);
    await until('A waits inside its transaction', async () => {
      const r = await blocker.query('SELECT application_name, wait_event_type FROM pg_stat_activity WHERE datname = current_database()');
      return r.rows.filter((x) => x.application_name === 'license-server' && x.wait_event_type === 'Lock').length === 1;
    }, 5_000);
    await a.kill();
    await blocker.query('ROLLBACK');
    await pending;
    // B's writes go on (a few 503 store.busy at most while PostgreSQL notices the dead connection).
    let created: Awaited<ReturnType<typeof api>> | undefined;
    await until('B can write', async () => {
      created = await api(b, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, body: { id: 'ws-after', name: 'after' } });
      assert.ok(created.status === 201 || (created.status === 503 && created.json.error.code === 'store.busy'), created.text);
      return created.status === 201;
    }, 10_000);
    assert.equal((await api(b, 'GET', '/admin/v1/workspaces/ws-half', { token: ADMIN_TOKEN })).status, 404, 'the killed transaction left nothing');
    assert.equal((await activateVia(b, f.ci, { ci: true })).status, 200);
  } finally {
    await blocker.end();
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a replica started while PostgreSQL is down waits for it, then serves', async (t) => {
  if (!server) return t.skip(postgresMissing());
  const f = fixture();
  const url = await server.createDatabase();
  const seedFile = join(tempDir('pa-seed-'), 'seed.json');
  writeFileSync(seedFile, JSON.stringify(f.seed));
  server.stop();
  let restarted = false;
  const child = spawn(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', '0', '--database', url, '--seed', seedFile],
    { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    await until('the replica says it waits', () => /waiting for PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\//.test(out), 10_000);
    server.start();
    restarted = true;
    await until('the replica listens', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 20_000);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    assert.equal((await activateVia({ url: `http://127.0.0.1:${port}` }, f.ci, { ci: true })).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
    if (!restarted) server.start();
  }
});
