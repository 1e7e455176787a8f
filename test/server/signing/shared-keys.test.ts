import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { verifyLicense, type Jwks } from '../../../src/core/license.ts';
import { keyEncryptionKey, seal } from '../../../src/server/signing/key-encryption.ts';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../helpers/postgres.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, runServer, startServer, type RunningServer } from '../../helpers/server.ts';

// Staged rotation and the key check at load, on real license-server processes sharing one real PostgreSQL.

let pg: Postgres;
const env = { LICENSE_SERVER_KEY_SECRET: KEY_SECRET };
const T = { token: ADMIN_TOKEN };

before(async () => {
  pg = (await startPostgres({ skip: () => undefined }))!;
});
after(() => pg?.destroy());

const kidOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()).kid as string;
const replica = (url: string, seed?: unknown) => startServer({ seed, args: ['--database', url], env });

test('staged on one replica: every replica publishes it at once and signs with it only after a rotation on another', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const url = await pg.createDatabase();
  const f = fixture();
  const a = await replica(url, f.seed);
  const b = await replica(url);
  const servers: RunningServer[] = [a, b];
  try {
    const current = kidOf((await activateVia(b, f.ci, { ci: true })).json.license);
    const staged = await Promise.all([api(a, 'POST', '/admin/v1/signing-keys', T), api(b, 'POST', '/admin/v1/signing-keys', T)]);
    assert.deepEqual(staged.map((r) => r.status).sort(), [200, 201], 'the two replicas staged one key between them');
    const next = staged[0].json.next as string;
    assert.equal(staged[1].json.next, next);
    for (const s of servers) {
      const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json as Jwks;
      assert.deepEqual(jwks.keys.map((k) => k.kid), [current, next], 'published by both, the current key first');
      assert.equal(kidOf((await activateVia(s, f.ci, { ci: true })).json.license), current, 'the staged key signs nothing yet');
    }
    const pinned = (await api(b, 'GET', '/.well-known/jwks.json')).json as Jwks;
    const rotated = await api(b, 'POST', '/admin/v1/signing-keys/rotate', T);
    assert.deepEqual({ kid: rotated.json.kid, promoted: rotated.json.promoted }, { kid: next, promoted: true });
    const license = (await activateVia(a, f.ci, { ci: true })).json.license;
    assert.equal(kidOf(license), next, 'the other replica signs with the promoted key from its next request');
    await verifyLicense(license, { keys: pinned, credential: f.ci });
    assert.deepEqual((await api(a, 'GET', '/admin/v1/signing-keys', T)).json, { current: next, next: null, previous: [current] });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});

test('a stored private key that does not match its public key: refused at start, exit 65, one line, the row left as it was', async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const url = await pg.createDatabase();
  const s = await replica(url, fixture().seed);
  await s.stop();
  const db = url.split('/').pop();
  const { kid, private_key: before } = (await pg.query('SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL', db)).rows[0];
  // Another key's private half, sealed correctly under the same secret for this kid: it opens, and would sign what nothing verifies.
  const d = (generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { d: string }).d;
  const forged = seal(d, keyEncryptionKey(env), kid);
  await pg.query(`UPDATE signing_keys SET private_key = '${forged}' WHERE kid = '${kid}'`, db);
  const run = runServer(['--database', url], env);
  assert.equal(run.status, 65, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`signing key ${kid} stored in the database does not match its public key`));
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  const after = (await pg.query('SELECT count(*)::int AS n, max(private_key) AS k FROM signing_keys', db)).rows[0];
  assert.deepEqual(after, { n: 1, k: forged }, 'no key replaced or added');
  assert.notEqual(before, forged);
});
