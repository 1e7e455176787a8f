import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../../../src/server/storage/group-commit.ts';

/** A commit that the test finishes by hand, recording each batch it was given. */
function controlledCommit() {
  const batches: number[][] = [];
  const finish: ((error?: Error) => void)[] = [];
  const commit = (rows: number[]) => new Promise<void>((resolve, reject) => {
    batches.push(rows);
    finish.push((error) => (error ? reject(error) : resolve()));
  });
  return { batches, finish, commit };
}

const tick = () => new Promise((r) => setImmediate(r));

test('rows added in one turn share a write; rows added while it is in flight form the next one, after it', async () => {
  const c = controlledCommit();
  const group = new GroupCommit(c.commit);
  const settled: number[] = [];
  const first = [1, 2, 3].map((n) => group.add(n).then(() => settled.push(n)));
  await tick();
  assert.deepEqual(c.batches, [[1, 2, 3]]);
  const second = [4, 5].map((n) => group.add(n).then(() => settled.push(n)));
  await tick();
  await tick();
  assert.deepEqual(c.batches, [[1, 2, 3]], 'one write at a time');
  assert.deepEqual(settled, [], 'nothing resolves before its write is done');
  c.finish[0]();
  await Promise.all(first);
  await tick();
  assert.deepEqual(c.batches, [[1, 2, 3], [4, 5]]);
  assert.deepEqual(settled, [1, 2, 3]);
  c.finish[1]();
  await Promise.all(second);
  assert.deepEqual(settled, [1, 2, 3, 4, 5]);
});

test('a failed write rejects its own rows only; the next batch is still written', async () => {
  const c = controlledCommit();
  const group = new GroupCommit(c.commit);
  const failed = group.add(1);
  await tick();
  const next = group.add(2);
  c.finish[0](new Error('disk full'));
  await assert.rejects(failed, /disk full/);
  await tick();
  assert.deepEqual(c.batches, [[1], [2]]);
  c.finish[1]();
  await next;
});

test('drain() waits until every row added so far is written', async () => {
  const c = controlledCommit();
  const group = new GroupCommit(c.commit);
  const rows = [group.add(1)];
  await tick();
  rows.push(group.add(2));
  let drained = false;
  const draining = group.drain().then(() => (drained = true));
  c.finish[0]();
  await tick();
  await tick();
  assert.equal(drained, false, 'the second batch is still in flight');
  c.finish[1]();
  await draining;
  await Promise.all(rows);
  assert.deepEqual(c.batches, [[1], [2]]);
});

test('a commit that throws before it returns a promise fails its batch only: no uncaught exception, the next batch is written', async () => {
  let calls = 0;
  const group = new GroupCommit<number>(() => {
    calls++;
    if (calls === 1) throw new Error('thrown synchronously');
    return Promise.resolve();
  });
  await assert.rejects(group.add(1), /thrown synchronously/);
  await group.add(2);
  await group.drain();
  assert.equal(calls, 2);
});
