import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.ts';

test('npm run demo: exits 0, shows the success line, xray in the health JSON, then the banner', () => {
  // `npm test` has built dist/ already; this runs what `npm run demo` runs after its build.
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.ts')], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Successfully activated license lic-[\w-]+:subscription 🔑✅/);
  assert.match(r.stdout, /"xray": "available"/);
  assert.match(r.stdout, /License activation failed! 🔑❌/);
  assert.match(r.stdout, /exit code 55/);
});
