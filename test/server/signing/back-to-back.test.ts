import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackToBack } from '../../../src/server/signing/back-to-back.ts';

// The activation route's signatures, run back to back at the end of the turn (issue 22).

test('calls of one turn run after it, one after another in order, each caller getting its own result', async () => {
  const ran: number[] = [];
  const batch = new BackToBack((n: number) => (ran.push(n), n * 10));
  const answers = [1, 2, 3].map((n) => batch.run(n));
  assert.deepEqual(ran, [], 'nothing runs before the turn ends');
  assert.deepEqual(await Promise.all(answers), [10, 20, 30]);
  assert.deepEqual(ran, [1, 2, 3]);
  assert.equal(await batch.run(4), 40, 'a later turn starts another batch');
});

test('a call that throws or rejects fails its own caller only', async () => {
  const batch = new BackToBack((n: number) => {
    if (n === 2) throw new Error('two');
    return n === 3 ? Promise.reject(new Error('three')) : n;
  });
  const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batch.run(n)));
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [1, 'two', 'three', 4]);
});
