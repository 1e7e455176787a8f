import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { verifyLicense, type Jwks } from '../../src/core/license.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, mountTmpfs, startServer, type RunningServer } from '../helpers/server.ts';
import { holdWriteLock } from '../helpers/sqlite-lock.ts';

// Runtime faults of the license server, each made for real: a second process holding the write lock,
// a tmpfs that fills up, kill -9 under mixed load. Nothing answered is lost, nothing crashes.

const LOAD_LIMIT = 2_000;

const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()) as { jti: string; iat: number };

/** The rows of the database, read by this process (WAL lets it read beside a running server). */
function readDb(dataDir: string) {
  const db = new DatabaseSync(join(dataDir, 'license.db'), { readOnly: true });
  try {
    const ids = (table: string) => new Set((db.prepare(`SELECT id FROM ${table}`).all() as { id: string }[]).map((r) => r.id));
    return { activations: ids('activations'), ciTokens: ids('ci_tokens'), integrity: (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check };
  } finally {
    db.close();
  }
}

test('a database locked by another program: 503 store.busy with Retry-After, /health and reads keep answering, nothing half-stored', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  try {
    const holder = await holdWriteLock(s.dataDir);
    const activation = activateVia(s, f.ci, { ci: true });
    const first = await Promise.race([api(s, 'GET', '/health').then(() => 'health'), activation.then(() => 'activation')]);
    assert.equal(first, 'health', '/health answers while an activation waits for the lock');
    assert.equal((await api(s, 'GET', '/v1/me', { token: f.admin })).status, 200, 'reads do not wait for the write lock');
    const refused = await activation;
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error.code, 'store.busy');
    assert.match(refused.json.error.message, /locked by another program/);
    assert.equal(refused.headers.get('retry-after'), '1');
    const adminWrite = await api(s, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, body: { id: 'ws-while-locked', name: 'x' } });
    assert.equal(adminWrite.status, 503);
    await holder.release();

    const ok = await activateVia(s, f.ci, { ci: true });
    assert.equal(ok.status, 200);
    assert.ok(readDb(s.dataDir).activations.has(claimsOf(ok.json.license).jti), 'the answered activation is stored');
    assert.equal((await api(s, 'GET', '/admin/v1/workspaces/ws-while-locked', { token: ADMIN_TOKEN })).status, 404, 'the refused write left nothing');
    assert.equal(s.process.exitCode, null, 'the server is still running');
    assert.doesNotMatch(s.output(), /cannot rollback/);
  } finally {
    await s.stop();
  }
});

test('a disk that fills up under load: 503 store.full naming the cause, every 200 stored, the server recovers once space is freed', async (t) => {
  const fs = mountTmpfs(t);
  if (!fs) return;
  const f = fixture();
  let s: RunningServer | undefined;
  try {
    s = await startServer({ dataDir: join(fs.dir, 'data'), seed: f.seed, args: ['--rate-limit', '0'] });
    const free = fs.fill();
    const answered: string[] = [];
    let full: Awaited<ReturnType<typeof activateVia>> | undefined;
    for (let i = 0; i < LOAD_LIMIT && !full; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => activateVia(s!, f.ci, { ci: true })));
      for (const res of batch) {
        if (res.status === 200) answered.push(claimsOf(res.json.license).jti);
        else if (res.status === 503) full = res;
        else assert.fail(`unexpected ${res.status} ${res.text}`);
      }
    }
    assert.ok(full, 'the disk filled up within the bounded load');
    assert.equal(full.json.error.code, 'store.full');
    assert.match(full.json.error.message, /full/);
    assert.ok(Number(full.headers.get('retry-after')) > 0);
    assert.equal((await api(s, 'GET', '/health')).status, 200);
    assert.match(s.output(), /store\.full/, 'the operator log names the real cause');
    assert.doesNotMatch(s.output(), /cannot rollback/);

    free();
    const after = await activateVia(s, f.ci, { ci: true });
    assert.equal(after.status, 200, after.text);
    answered.push(claimsOf(after.json.license).jti);
    await s.kill();
    s = await startServer({ dataDir: join(fs.dir, 'data') });
    const db = readDb(s.dataDir);
    assert.equal(db.integrity, 'ok');
    assert.deepEqual(answered.filter((jti) => !db.activations.has(jti)), [], 'every activation answered 200 is stored');
  } finally {
    await s?.stop();
    fs.unmount();
  }
});

test('kill -9 under mixed load (activations, admin writes, staged and plain key rotations): nothing answered is lost, same keys, integrity clean', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const licenses: string[] = [];
  const ciTokens: string[] = [];
  const kids: string[] = [];
  const staged: string[] = [];
  let stop = false;
  const until = async (fn: () => Promise<void>) => {
    for (let i = 0; i < LOAD_LIMIT && !stop; i++) await fn().catch(() => { stop = true; });
  };
  const workers = [
    ...Array.from({ length: 6 }, () => until(async () => {
      const res = await activateVia(s, f.ci, { ci: true });
      if (res.status === 200) licenses.push(res.json.license);
    })),
    until(async () => {
      const res = await api(s, 'POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { token: ADMIN_TOKEN, body: { name: `t-${ciTokens.length}-${Math.random()}` } });
      if (res.status === 201) ciTokens.push(res.json.id);
    }),
    until(async () => {
      const res = await api(s, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN });
      if (res.status === 200) kids.push(res.json.kid);
    }),
    until(async () => {
      const res = await api(s, 'POST', '/admin/v1/signing-keys', { token: ADMIN_TOKEN });
      if (res.status === 200 || res.status === 201) staged.push(res.json.next);
    }),
  ];
  for (let i = 0; i < 200 && licenses.length < 400; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(licenses.length > 0 && ciTokens.length > 0 && kids.length > 0 && staged.length > 0, 'load ran before the kill');
  await s.kill();
  await Promise.all(workers);

  const again = await startServer({ dataDir: s.dataDir });
  try {
    const db = readDb(again.dataDir);
    assert.equal(db.integrity, 'ok');
    assert.deepEqual(licenses.map((l) => claimsOf(l).jti).filter((jti) => !db.activations.has(jti)), [], 'every answered activation is stored');
    assert.deepEqual(ciTokens.filter((id) => !db.ciTokens.has(id)), [], 'every answered CI token is stored');
    const jwks = (await api(again, 'GET', '/.well-known/jwks.json')).json as Jwks;
    const published = new Set(jwks.keys.map((k) => k.kid));
    assert.deepEqual(kids.filter((kid) => !published.has(kid)), [], 'every answered rotation is in the JWKS');
    assert.deepEqual(staged.filter((kid) => !published.has(kid)), [], 'every answered staged key is in the JWKS');
    const status = (await api(again, 'GET', '/admin/v1/signing-keys', { token: ADMIN_TOKEN })).json;
    assert.ok(published.has(status.current) && (status.next === null || published.has(status.next)), 'the key that signs and the staged one are published');
    for (const jws of licenses) await verifyLicense(jws, { keys: jwks, credential: f.ci, now: claimsOf(jws).iat * 1000 });
  } finally {
    await again.stop();
  }
});
