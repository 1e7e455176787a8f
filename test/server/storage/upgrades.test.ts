import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyLicense, type Jwks } from '../../../src/core/license.ts';
import { binDir, KEY_SECRET, startPostgres, type Postgres } from '../../helpers/postgres.ts';
import { ROOT } from '../../helpers/paths.ts';
import { activationBody, api, runServer, startServer, tempDir, type RunningServer } from '../../helpers/server.ts';
import { SCHEMA_VERSION } from '../../../src/server/storage/migrations.ts';

// A data folder and a PostgreSQL database made by each earlier schema version (test/fixtures/schema-*, made by
// scripts/fixtures/make-schema-fixture.ts from the commit that introduced it) come up under this server with
// everything in them. The next schema version gets its fixture the same way.

const ADMIN = 'upgrade-admin';
const FIXTURES = join(ROOT, 'test/fixtures');
const versions = readdirSync(FIXTURES).filter((d) => d.startsWith('schema-')).sort();

interface Facts { tokens: { admin: string; member: string; ci: string }; license: string; jwks: Jwks; console?: { email: string; password: string }; activations: number }

async function assertServes(server: RunningServer, facts: Facts, where: string): Promise<void> {
  for (const [who, token] of Object.entries(facts.tokens)) {
    const res = await api(server, 'POST', '/v1/license/activate', { token, body: activationBody({ ci: who === 'ci', ciProvider: who === 'ci' ? 'upgrade' : null }) });
    assert.equal(res.status, 200, `${where}: the ${who} token activates: ${JSON.stringify(res.json)}`);
  }
  // A license issued before the upgrade still verifies against what the server publishes now (the same key).
  const jwks = (await api(server, 'GET', '/.well-known/jwks.json')).json as Jwks;
  const verified = await verifyLicense(facts.license, { keys: jwks, credential: facts.tokens.member, now: JSON.parse(Buffer.from(facts.license.split('.')[1]!, 'base64url').toString()).iat * 1000 });
  assert.equal(verified.claims.ws.id, 'ws-fixture', `${where}: the old license verifies`);
  for (const key of facts.jwks.keys) assert.ok(jwks.keys.some((k) => k.kid === key.kid && k.x === key.x), `${where}: key ${key.kid} still published`);
  const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-fixture', { token: ADMIN })).json;
  assert.deepEqual(ws.members.filter((m: { licensed: boolean }) => m.licensed).map((m: { email: string }) => m.email).sort(), ['admin@fixture.test', 'dev@fixture.test'], `${where}: seats kept`);
  const activations = (await api(server, 'GET', '/admin/v1/workspaces/ws-fixture/activations', { token: ADMIN })).json.activations as unknown[];
  assert.ok(activations.length >= facts.activations + 3, `${where}: the ${facts.activations} earlier activations are listed (${activations.length})`);
  if (facts.console) {
    const page = await fetch(`${server.url}/sign-in`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const res = await fetch(`${server.url}/sign-in`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...facts.console }) });
    assert.equal(res.status, 303, `${where}: the console sign-in made before the upgrade works`);
  }
}

describe('upgrades from every earlier schema version', { timeout: 240_000 }, () => {
  let pg: Postgres;
  before(async () => {
    pg = (await startPostgres({ skip: (m) => { throw new Error(m); } }))!;
  });
  after(() => pg?.destroy());

  for (const version of versions) {
    const dir = join(FIXTURES, version);
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as { commit: string; sqlite: Facts; postgres?: Facts };

    test(`${version} (${fixture.commit}) on SQLite: migrated at start, serves everything it held`, async () => {
      const dataDir = tempDir(`pa-upgrade-${version}-`);
      cpSync(join(dir, 'sqlite'), dataDir, { recursive: true });
      const server = await startServer({ dataDir, args: ['--rate-limit', '0'], env: { ADMIN_TOKEN: ADMIN } });
      try {
        await assertServes(server, fixture.sqlite, `${version} SQLite`);
      } finally {
        await server.stop();
      }
    });

    if (fixture.postgres && existsSync(join(dir, 'postgres.sql'))) {
      test(`${version} (${fixture.commit}) on PostgreSQL: a database restored from its dump is migrated and served`, async () => {
        const url = await pg.createDatabase();
        execFileSync(join(binDir()!, 'psql'), ['--quiet', '--set', 'ON_ERROR_STOP=1', '--file', join(dir, 'postgres.sql'), url], { stdio: ['ignore', 'ignore', 'pipe'] });
        const server = await startServer({ args: ['--rate-limit', '0', '--database', url], env: { ADMIN_TOKEN: ADMIN, LICENSE_SERVER_KEY_SECRET: KEY_SECRET } });
        try {
          await assertServes(server, fixture.postgres!, `${version} PostgreSQL`);
        } finally {
          await server.stop();
        }
      });
    }
  }

  test('every earlier schema version has its fixture, on both stores where that version had PostgreSQL', () => {
    // v1 was never released on its own: schema-v0 is a database made before migrations were recorded, which v1 names.
    const wanted = Array.from({ length: SCHEMA_VERSION - 2 }, (_, i) => `schema-v${i + 2}`);
    assert.deepEqual(wanted.filter((v) => !versions.includes(v)), [], 'make it: node scripts/fixtures/make-schema-fixture.ts vN COMMIT');
    for (const v of wanted) assert.ok(existsSync(join(FIXTURES, v, 'postgres.sql')), `${v} has a PostgreSQL dump`);
  });

  test('PostgreSQL: a database migrated by a newer server is refused at start in one line, nothing written', async () => {
    const url = await pg.createDatabase();
    const first = await startServer({ args: ['--database', url], env: { LICENSE_SERVER_KEY_SECRET: KEY_SECRET } });
    await first.stop();
    const db = url.split('/').pop();
    await pg.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'from the future', '2030-01-01')`, db);
    const run = runServer(['--database', url], { LICENSE_SERVER_KEY_SECRET: KEY_SECRET });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`schema is version ${SCHEMA_VERSION + 1}, newer than this server's ${SCHEMA_VERSION}`));
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.equal((await pg.query('SELECT count(*)::int AS n FROM schema_migrations', db)).rows[0].n, SCHEMA_VERSION + 1, 'nothing written');
  });
});
