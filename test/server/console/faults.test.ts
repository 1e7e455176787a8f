import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
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
