import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.ts';

// The machine's own Node (Debian's, older than the pinned one) is what a user in a fresh clone meets first.
const OLD_NODE = '/usr/bin/node';

test('every program run by a Node older than 24 says in one line what it needs, and exits non-zero', () => {
  const version = spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(Number(/^v(\d+)/.exec(version)?.[1]) < 24, `${OLD_NODE} is expected to be an older Node here (it is ${version || 'missing'})`);
  for (const [program, code] of [['license-server', 1], ['localstack', 1], ['pro-emulator', 1], ['docker-entrypoint', 64]] as const) {
    const r = spawnSync(OLD_NODE, [join(ROOT, 'dist', `${program}.js`), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, code, program);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `${program}: Node.js 24 or newer is needed; this is Node.js ${version}. In a clone, run it as npx ${program} after npm ci (which installs Node 24); elsewhere install Node.js 24.\n`);
  }
});
