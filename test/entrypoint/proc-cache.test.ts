import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixture } from '../helpers/server.ts';
import { baseEnv, run, start, startActivationWorld, waitFor, type ActivationWorld } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';

// A cache folder that cannot be made because mkdir keeps answering ENOENT under a parent that exists (/proc): the
// license goes to the private temporary file, and the signals still work. Node's recursive mkdir used to spin here.

let world: ActivationWorld;
before(async () => {
  world = await startActivationWorld(fixture());
});
after(async () => world?.server.stop());

for (const dir of ['/proc/nocache', '/proc/nocache/deeper/cache', '/proc/self/nocache']) {
  test(`LICENSE_CACHE_DIR=${dir}: activated from a temporary file, the command runs, SIGTERM ends it`, { timeout: 60_000 }, async () => {
    const started = start(['sleep', '30'], world.env({ LICENSE_CACHE_DIR: dir }));
    await waitFor(() => /Successfully activated license/.test(started.output()), 30_000);
    assert.match(started.output(), new RegExp(`cannot write the license cache in ${dir} \\((ENOENT|EPERM)`), started.output());
    started.child.kill('SIGTERM');
    const run = await started.done;
    assert.equal(run.code, 143, `exit code after SIGTERM (output: ${run.stdout}${run.stderr})`);
  });
}

test('a SIGTERM while the entrypoint stores into /proc ends it (no call on the start path blocks the signals)', { timeout: 60_000 }, async () => {
  // Sent as soon as the process exists: it lands during start-up, activation or storing, wherever that is.
  const started = start(['sleep', '30'], world.env({ LICENSE_CACHE_DIR: '/proc/nocache' }));
  await waitFor(() => started.output().length > 0 || started.child.exitCode !== null, 30_000).catch(() => undefined);
  started.child.kill('SIGTERM');
  const run = await started.done;
  assert.ok(run.code !== null && [0, 55, 143].includes(run.code), `ended with ${run.code}`);
});

test('no disk takes the license (cache folder and temporary folder unwritable): Pro starts from memory, with one warning', { timeout: 60_000 }, async () => {
  const r = await run(['sh', '-c', 'printf "%s %s %s\\n" "$PRO_ACTIVATED" "$LICENSE_MODE" "$LICENSE_FILE"; test -s "$LICENSE_FILE"'],
    world.env({ LICENSE_CACHE_DIR: '/proc/nocache', TMPDIR: '/proc/notmp' }));
  assert.equal(r.code, 0, r.stderr);
  const [pro, mode, file] = r.stdout.trim().split(' ');
  assert.deepEqual([pro, mode], ['1', 'online']);
  assert.ok(file!.startsWith('/dev/shm/'), file);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning: '));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /held in memory .* a restart without the license server cannot start Pro/);
  assert.ok(!existsSync(dirname(file!)), 'the memory copy goes with the process');
});

test('TMPDIR under /proc: every program starts (the compile cache is skipped where its folder cannot be made)', { timeout: 60_000 }, async () => {
  for (const program of ['docker-entrypoint', 'license-server', 'localstack', 'pro-emulator']) {
    const r = await run([join(ROOT, `dist/${program}.js`), '--help'], baseEnv({ TMPDIR: '/proc/notmp' }), { command: process.execPath });
    assert.notEqual(r.code, null, `${program} ended`);
    assert.match(r.stdout + r.stderr, /usage/i, program);
  }
});
