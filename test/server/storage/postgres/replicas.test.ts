import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyLicense, type Jwks } from '../../../../src/core/license.ts';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../../helpers/postgres.ts';
import { MIGRATIONS } from '../../../../src/server/storage/migrations.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, runServer, startServer, type Fixture, type RunningServer } from '../../../helpers/server.ts';

// Several real license-server processes on one real PostgreSQL: interchangeable replicas.

let pg: Postgres;
const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };

before(async () => {
  // Where PostgreSQL is missing each test skips saying so; on CI startPostgres fails instead.
  pg = (await startPostgres({ skip: () => undefined }))!;
});
after(() => pg?.destroy());

async function replicas(n: number, url: string, options: { seed?: unknown; args?: string[]; env?: Record<string, string> } = {}): Promise<RunningServer[]> {
  // Started together: they race for the migrations, the first signing key and the seed.
  return Promise.all(Array.from({ length: n }, () => startServer({ seed: options.seed, args: ['--database', url, ...(options.args ?? [])], env: { ...env, ...options.env } })));
}

const stopAll = (servers: RunningServer[]) => Promise.all(servers.map((s) => s.stop()));
const kidOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()).kid as string;

test('replicas started together on an empty database: each migration applied once, one signing key, the same JWKS on all', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const url = await pg.createDatabase();
  const f = fixture();
  const servers = await replicas(3, url, { seed: f.seed });
  try {
    const db = url.split('/').pop()!;
    const versions = (await pg.query('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version', db)).rows;
    assert.deepEqual(versions, MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
    assert.equal((await pg.query('SELECT count(*)::int AS n FROM signing_keys', db)).rows[0].n, 1);
    assert.equal((await pg.query('SELECT count(*)::int AS n FROM members', db)).rows[0].n, 4, 'the seed imported once');
    const jwks = await Promise.all(servers.map(async (s) => (await api(s, 'GET', '/.well-known/jwks.json')).json));
    assert.deepEqual(jwks[1], jwks[0]);
    assert.deepEqual(jwks[2], jwks[0]);
    // The private key is stored sealed, never in the clear.
    const stored = (await pg.query('SELECT public_jwk, private_key FROM signing_keys', db)).rows[0];
    assert.match(stored.private_key, /^v1\./);
    assert.equal(JSON.parse(stored.public_jwk).d, undefined);
    for (const s of servers) assert.equal((await api(s, 'GET', '/ready')).status, 200);
  } finally {
    await stopAll(servers);
  }
});

test('activate on one, rotate the signing key on another: every replica signs with the new key and publishes both', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const [a, b, c] = await replicas(3, await pg.createDatabase(), { seed: f.seed });
  try {
    const first = await activateVia(a, f.ci, { ci: true });
    assert.equal(first.status, 200);
    const rotated = await api(b, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.json.kid, kidOf(first.json.license));
    for (const s of [a, b, c]) {
      const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks;
      assert.deepEqual(jwks.keys.map((k) => k.kid), [rotated.json.kid, kidOf(first.json.license)], 'new key first, the old still trusted');
      const next = await activateVia(s, f.ci, { ci: true });
      assert.equal(kidOf(next.json.license), rotated.json.kid, 'signed with the new key at once');
      await verifyLicense(next.json.license, { keys: jwks, credential: f.ci });
      await verifyLicense(first.json.license, { keys: jwks, credential: f.ci });
    }
  } finally {
    await stopAll([a, b, c]);
  }
});

test('a developer token rotated on one replica and a CI token deleted on another are refused by all at once', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f: Fixture = fixture();
  const servers = await replicas(3, await pg.createDatabase(), { seed: f.seed });
  const [a, b, c] = servers;
  try {
    for (const s of servers) assert.equal((await activateVia(s, f.member)).status, 200, 'no replica has cached a refusal or a grant');
    const rotated = await api(a, 'POST', '/v1/me/auth-token/rotate', { token: f.member });
    assert.equal(rotated.status, 200);
    for (const s of servers) {
      const old = await activateVia(s, f.member);
      assert.equal(old.status, 401);
      assert.equal(old.json.error.code, 'licensing.credentials.invalid');
      assert.equal((await activateVia(s, rotated.json.authToken)).status, 200);
    }
    const listed = await api(b, 'GET', '/v1/ci-tokens', { token: f.admin });
    const id = listed.json.ciTokens[0].id;
    assert.equal((await activateVia(c, f.ci, { ci: true })).status, 200);
    assert.equal((await api(b, 'DELETE', `/v1/ci-tokens/${id}`, { token: f.admin })).status, 204);
    for (const s of servers) assert.equal((await activateVia(s, f.ci, { ci: true })).status, 401);
  } finally {
    await stopAll(servers);
  }
});

test('the rate limit is counted across replicas: N per minute in all, whichever replica answers', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const LIMIT = 5;
  const servers = await replicas(3, await pg.createDatabase(), { seed: f.seed, args: ['--rate-limit', String(LIMIT)] });
  try {
    // Concurrent, spread over the three: 12 tries of one credential.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => activateVia(servers[i % 3], f.ci, { ci: true })));
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    // A minute boundary inside the burst could open a second window: at most twice the limit then.
    assert.ok(ok === LIMIT || (ok > LIMIT && ok <= 2 * LIMIT), `${ok} answered 200`);
    assert.equal(ok + limited.length, 12);
    for (const r of limited) {
      assert.equal(r.json.error.code, 'licensing.rate_limited');
      assert.ok(Number(r.headers.get('retry-after')) >= 1 && Number(r.headers.get('retry-after')) <= 60);
    }
    assert.equal((await activateVia(servers[0], f.admin)).status, 200, 'another credential has its own count');
  } finally {
    await stopAll(servers);
  }
});

test('seats assigned concurrently on different replicas never exceed the license', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const servers = await replicas(2, await pg.createDatabase(), { seed: f.seed });
  try {
    // Acme has 2 seats, both taken; free one, then ten new members race for it through both replicas.
    const ws = (await api(servers[0], 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
    const dev = ws.members.find((m: { email: string }) => m.email === 'dev@acme.test');
    assert.equal((await api(servers[1], 'PUT', `/admin/v1/members/${dev.id}/seat`, { token: ADMIN_TOKEN, body: { licensed: false } })).status, 200);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => api(servers[i % 2], 'POST', '/admin/v1/workspaces/ws-acme/members', {
      token: ADMIN_TOKEN, body: { email: `racer${i}@acme.test`, role: 'member', licensed: true },
    })));
    assert.equal(answers.filter((r) => r.status === 201).length, 1, answers.map((r) => r.status).join(','));
    assert.ok(answers.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.json.error.code === 'license.no_seats'));
    const after = (await api(servers[1], 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
    assert.equal(after.members.filter((m: { licensed: boolean }) => m.licensed).length, 2);
  } finally {
    await stopAll(servers);
  }
});

test('/metrics counts activations by outcome and shows the pool; the access log names no credential', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const [s] = await replicas(1, await pg.createDatabase(), { seed: f.seed, args: ['--rate-limit', '2'], env: { LOG_LEVEL: 'info' } });
  try {
    for (let i = 0; i < 3; i++) await activateVia(s, f.ci, { ci: true });
    await activateVia(s, f.expired);
    await activateVia(s, 'ls-not-a-token');
    // Credentials where a client should never put them: a path, a query, a cookie.
    await api(s, 'GET', `/v1/${f.admin}`, { headers: { cookie: `session=${f.member}` } });
    await api(s, 'GET', `/health?token=${f.member}`);
    await api(s, 'GET', `/x/${f.legacy}`);
    const metrics = await api(s, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type')!, /^text\/plain/);
    const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(metrics.text)?.[1]);
    assert.equal(value('license_server_activations_total{code="ok"}'), 2);
    assert.equal(value('license_server_activations_total{code="licensing.rate_limited"}'), 1);
    assert.equal(value('license_server_activations_total{code="licensing.license.expired"}'), 1);
    assert.equal(value('license_server_activations_total{code="licensing.credentials.format"}'), 1);
    assert.ok(value('license_server_http_request_duration_seconds_count{method="POST",route="/v1/license/activate",status="200"}') === 2);
    assert.ok(value('license_server_db_pool_connections{state="total"}') >= 1);
    assert.equal(value('license_server_db_pool_connections{state="max"}'), 10);
    await s.stop(); // the access log is buffered: complete once the process has exited

    const log = s.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const requests = log.filter((l) => l.msg === 'request');
    assert.ok(requests.length >= 8, `${requests.length} access lines`);
    assert.ok(requests.some((l) => l.path === '/v1/license/activate' && l.status === 429 && l.outcome === 'licensing.rate_limited'));
    for (const secret of [f.ci, f.admin, f.member, f.expired, f.legacy, KEY_SECRET, ADMIN_TOKEN]) {
      assert.ok(!s.output().includes(secret), `${secret.slice(0, 5)}… is not in the output`);
    }
  } finally {
    await s.stop();
  }
});

test('SIGTERM: in-flight activations are answered and stored, then the pool is closed and the process exits 0', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const f = fixture();
  const url = await pg.createDatabase();
  const db = url.split('/').pop()!;
  const [s] = await replicas(1, url, { seed: f.seed, args: ['--rate-limit', '0'] });
  // Eight clients in a loop; SIGTERM once 40 were answered, while others are in flight.
  const answers: { status: number; json?: any }[] = [];
  let stopping = false;
  const exited = new Promise<number | null>((done) => s.process.once('exit', (code) => done(code)));
  const clients = Array.from({ length: 8 }, async () => {
    for (let i = 0; i < 200; i++) {
      const r = await activateVia(s, f.ci, { ci: true }).catch(() => ({ status: 0, json: undefined }));
      answers.push(r);
      if (answers.length === 40 && !stopping) {
        stopping = true;
        s.process.kill('SIGTERM');
      }
      if (r.status !== 200) return;
    }
  });
  await Promise.all(clients);
  assert.equal(await exited, 0);
  const ok = answers.filter((r) => r.status === 200) as { json: { license: string } }[];
  // Requests that arrived after the server stopped accepting were refused (503 or connection refused), never half-done.
  assert.ok(answers.every((r) => r.status === 200 || r.status === 503 || r.status === 0));
  const stored = new Set((await pg.query('SELECT id FROM activations', db)).rows.map((r) => r.id));
  for (const r of ok) assert.ok(stored.has(JSON.parse(Buffer.from(r.json.license.split('.')[1], 'base64url').toString()).jti));
  const left = (await pg.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${db}' AND application_name = 'license-server'`)).rows[0].n;
  assert.equal(left, 0, 'no connection left open');
});

test('start-up errors on PostgreSQL are one line with no password in it', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const url = await pg.createDatabase();
  const noSecret = runServer(['--database', url]);
  assert.equal(noSecret.status, 64);
  assert.match(noSecret.stderr, /LICENSE_SERVER_KEY_SECRET/);
  const short = runServer(['--database', url], { LICENSE_SERVER_KEY_SECRET: 'short' });
  assert.equal(short.status, 64);
  assert.match(short.stderr, /too short/);
  const notPg = runServer(['--database', 'mysql://u@127.0.0.1/db'], env);
  assert.equal(notPg.status, 64);
  assert.match(notPg.stderr, /postgres:\/\//);
  const missing = runServer(['--database', `postgres://postgres:s3cret-pw@127.0.0.1:${pg.port}/no_such_db`], env);
  assert.equal(missing.status, 69);
  assert.match(missing.stderr, /no_such_db/);
  assert.doesNotMatch(missing.stderr + missing.stdout, /s3cret-pw/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');

  // A replica with another secret must not sign with a key it cannot open, nor replace it.
  const [s] = await replicas(1, url);
  await s.stop();
  const wrong = runServer(['--database', url], { LICENSE_SERVER_KEY_SECRET: 'another-secret-of-enough-length-0123456789' });
  assert.equal(wrong.status, 64);
  assert.match(wrong.stderr, /does not open the signing key/);
  assert.equal((await pg.query('SELECT count(*)::int AS n FROM signing_keys', url.split('/').pop())).rows[0].n, 1);
});
