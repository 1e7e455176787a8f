import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountTmpfs } from '../../helpers/server.ts';
import { alertOf, Client, world } from './client.ts';

/** A second process that holds the database's write lock until it is killed. */
async function holdWriteLock(dbFile: string) {
  const child = spawn(process.execPath, ['-e', `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(dbFile)});
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    setTimeout(() => {}, 60000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return { release: async () => { child.kill('SIGKILL'); await once(child, 'exit'); } };
}

test('a write lock held by another process: sign-up answers a clear page, leaves no login behind, and works once the lock is gone', { timeout: 60_000 }, async () => {
  const w = await world();
  try {
    const owner = new Client(w.app);
    await owner.signUp('before@x.test');
    const lock = await holdWriteLock(join(w.dataDir, 'license.db'));
    const client = new Client(w.app);
    await client.get('/sign-up');
    let locked;
    try {
      locked = await client.post('/sign-up', { email: 'locked@x.test', password: 'a long enough password' });
    } finally {
      await lock.release();
    }
    assert.equal(locked.status, 503);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.match(locked.body, /<h1>The server is busy<\/h1>/);
    assert.match(alertOf(locked.body), /Nothing was saved\. Try again in \d+ seconds?\./);
    assert.equal(client.cookies.has('console_session'), false, 'not signed in by a sign-up that failed');
    const retry = await client.post('/sign-up', { email: 'locked@x.test', password: 'a long enough password' });
    assert.equal(retry.status, 303, 'the same sign-up works after the lock is gone');
    assert.match((await client.get('/getting-started')).body, /locked@x\.test/);
    assert.equal((await owner.get('/workspace/my-license')).status, 200, 'existing sessions kept working');
  } finally {
    await w.close();
  }
});

test('a disk that fills up: sign-up and rotation are refused whole (503), the old token keeps working, both work once space is freed', { timeout: 60_000 }, async (t) => {
  const fs = mountTmpfs(t, '4m');
  if (!fs) return;
  const w = await world({ dataDir: fs.dir });
  try {
    const owner = new Client(w.app);
    assert.equal((await owner.signUp('full-owner@x.test')).status, 303);
    const token = await owner.token();
    await owner.get('/workspace/auth-tokens');
    const free = fs.fill();
    let signUp;
    let rotate;
    let failedAt = 0;
    try {
      const client = new Client(w.app);
      await client.get('/sign-up');
      // Each try writes more than the last free bytes; a few tries fill whatever the WAL still had.
      for (failedAt = 0; failedAt < 20; failedAt++) {
        signUp = await client.post('/sign-up', { email: `full-${failedAt}@x.test`, password: 'a long enough password', workspace: 'x'.repeat(150) });
        if (signUp.status !== 303) break;
      }
      rotate = await owner.post('/workspace/auth-tokens/rotate');
    } finally {
      free();
    }
    assert.equal(signUp!.status, 503, 'the disk filled up within 20 sign-ups');
    assert.match(signUp!.body, /The server cannot save right now/);
    assert.match(alertOf(signUp!.body), /Nothing was saved \(store\.full\)/);
    const workspaces = await w.store.workspaces();
    assert.equal(workspaces.length, 1 + failedAt, 'the refused sign-up left no workspace behind');
    const emails = (await Promise.all(workspaces.map((ws) => w.store.members(ws.id)))).flat().map((m) => m.email);
    assert.ok(!emails.includes(`full-${failedAt}@x.test`), 'nor a member');
    assert.deepEqual(await w.consoleStore.loginsByEmail(`full-${failedAt}@x.test`), [], 'nor a password');
    // A small write may still fit in pages the WAL frees (its checkpoint runs on its own): either way, all or nothing.
    assert.ok(rotate!.status === 503 || rotate!.status === 303, `the rotation is refused or done, nothing else: ${rotate!.status}`);
    const shown = await owner.token();
    const activate = (bearer: string) => w.app.inject({ method: 'POST', url: '/v1/license/activate', headers: { authorization: `Bearer ${bearer}` }, payload: { product: 'localstack-pro', version: '1.0.0', ci: false } });
    if (rotate!.status === 503) {
      assert.equal(shown, token, 'refused: the console still shows the token that works');
      assert.equal((await activate(token)).statusCode, 200, 'refused: the old token still activates');
    } else {
      assert.notEqual(shown, token, 'done: the console shows the new token');
      assert.equal((await activate(shown)).statusCode, 200, 'done: the new token activates');
      assert.equal((await activate(token)).statusCode, 401, 'done: the old token is refused');
    }
    const again = new Client(w.app);
    assert.equal((await again.signUp('after@x.test')).status, 303, 'sign-up works once space is freed');
    await owner.get('/workspace/auth-tokens');
    assert.equal((await owner.post('/workspace/auth-tokens/rotate')).status, 303);
  } finally {
    await w.close();
    fs.unmount();
  }
});
