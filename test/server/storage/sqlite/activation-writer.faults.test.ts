import assert from 'node:assert/strict';
import { renameSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { activateVia, ADMIN_TOKEN, api, fixture, startServer } from '../../../helpers/server.ts';
import { holdWriteLock } from '../../../helpers/sqlite-lock.ts';
import { waitFor } from '../../../helpers/entrypoint.ts';

// The writer thread against real faults of a running server: its database file deleted or moved away, SIGTERM under load.

const FILES = ['license.db', 'license.db-wal', 'license.db-shm'];
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()) as { jti: string };

function storedIds(dataDir: string): Set<string> {
  const db = new DatabaseSync(join(dataDir, 'license.db'), { readOnly: true });
  try {
    return new Set((db.prepare('SELECT id FROM activations').all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}

test('the database file moved away under a running server: activations and admin writes answer 503 naming it, never 200; moved back, they are stored again', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  try {
    assert.equal((await activateVia(s, f.ci, { ci: true })).status, 200);
    const aside = join(s.dataDir, 'aside');
    for (const name of FILES) renameSync(join(s.dataDir, name), `${aside}-${name}`);
    const answers = await Promise.all(Array.from({ length: 8 }, () => activateVia(s, f.ci, { ci: true })));
    for (const res of answers) {
      assert.equal(res.status, 503, `no activation is confirmed into a file a restart cannot find: ${res.text}`);
      assert.equal(res.json.error.code, 'store.io');
      assert.match(res.json.error.message, /deleted or replaced/);
    }
    const token = await api(s, 'POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { token: ADMIN_TOKEN, body: { name: 'while-moved' } });
    assert.equal(token.status, 503, token.text);
    for (const name of FILES) renameSync(`${aside}-${name}`, join(s.dataDir, name));
    const back = await activateVia(s, f.ci, { ci: true });
    assert.equal(back.status, 200, back.text);
    await s.stop();
    assert.equal(s.process.exitCode, 0, s.output());
    assert.ok(storedIds(s.dataDir).has(claimsOf(back.json.license).jti), 'the activation after the file came back is stored');
  } finally {
    await s.kill();
  }
});

test('the database files deleted under a running server: 503 store.io, not a 200 into an unlinked file; SIGTERM still exits 0', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  try {
    assert.equal((await activateVia(s, f.ci, { ci: true })).status, 200);
    for (const name of FILES) rmSync(join(s.dataDir, name), { force: true });
    const res = await activateVia(s, f.ci, { ci: true });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.json.error.code, 'store.io');
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    // The log line is written beside the answer, not before it: wait for it (bounded) instead of racing it.
    await waitFor(() => /deleted or replaced/.test(s.output()), 5_000).catch(() => {});
    assert.match(s.output(), /deleted or replaced/, 'the operator log names the cause');
    await s.stop();
    assert.equal(s.process.exitCode, 0, s.output());
  } finally {
    await s.kill();
  }
});

test('SIGTERM under activation load: exit 0, every activation answered 200 is stored', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const answered: string[] = [];
  let stop = false;
  const clients = Array.from({ length: 12 }, async () => {
    for (let i = 0; i < 2_000 && !stop; i++) {
      const res = await activateVia(s, f.ci, { ci: true }).catch(() => undefined);
      if (!res) continue; // refused or cut while the server closes: nothing was answered
      if (res.status === 200) answered.push(claimsOf(res.json.license).jti);
      else {
        assert.equal(res.status, 503, res.text);
        assert.match(res.json?.error?.code ?? '', /^(server\.closing|store\.)/, `a 503 in the error shape: ${res.text}`);
      }
    }
  });
  for (let i = 0; i < 200 && answered.length < 200; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(answered.length > 0, 'load ran before SIGTERM');
  await s.stop();
  stop = true;
  await Promise.all(clients);
  assert.equal(s.process.exitCode, 0, s.output());
  const stored = storedIds(s.dataDir);
  assert.deepEqual(answered.filter((jti) => !stored.has(jti)), [], 'every answered activation is stored');
});

test('SIGTERM while an activation waits for a lock held by another program: it is answered, and a request that arrives during the shutdown gets 503 in the error shape with Retry-After', async () => {
  const f = fixture();
  const s = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const lock = await holdWriteLock(s.dataDir);
  try {
    const body = JSON.stringify({ product: 'localstack-pro', version: '1.0.0', ci: true });
    const request = `POST /v1/license/activate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${f.ci}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = connect(s.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.write(request); // waits for the lock (the store's busy budget)
    await sleep(100);
    s.process.kill('SIGTERM');
    await sleep(200);
    socket.write(request); // the same keep-alive connection, while the server closes
    await Promise.race([closed, sleep(15_000)]);
    socket.destroy();
    const answers = received.split(/(?=HTTP\/1\.1 )/).map((raw) => ({
      status: Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]), retryAfter: /\r\nretry-after: *(\d+)/i.exec(raw)?.[1],
      body: raw.slice(raw.indexOf('\r\n\r\n') + 4),
    }));
    assert.equal(answers.length, 2, received);
    assert.equal(answers[0].status, 503, 'the locked activation is answered (busy)');
    assert.equal(JSON.parse(answers[0].body).error.code, 'store.busy');
    assert.equal(answers[1].status, 503);
    assert.equal(JSON.parse(answers[1].body).error.code, 'server.closing', `the error shape of section 4: ${answers[1].body}`);
    assert.ok(Number(answers[1].retryAfter) > 0, 'Retry-After says when to come back');
    await new Promise<void>((done) => (s.process.exitCode !== null ? done() : s.process.once('exit', () => done())));
    assert.equal(s.process.exitCode, 0, s.output());
  } finally {
    await lock.release();
    await s.kill();
  }
});
