// The secretlint rule shipped in scanners/, run for real by the secretlint CLI over a folder of files made here
// (made at test time: a token committed to this repository would itself be a leak for scanners to report).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { tempDir } from '../helpers/cleanup.ts';
import { ROOT } from '../helpers/paths.ts';

const SECRETLINT = join(ROOT, 'node_modules/secretlint/bin/secretlint.js');

/** A token of the same form whose last character is changed: its checksum no longer matches. */
const lookAlike = (token: string) => `${token.slice(0, -1)}${token.at(-1) === 'a' ? 'b' : 'a'}`;

function secretlint(cwd: string) {
  return spawnSync(process.execPath, [SECRETLINT, '**/*', '--secretlintrc', join(ROOT, '.secretlintrc.json'), '--no-color', '--no-terminalLink'], { cwd, encoding: 'utf8', timeout: 60_000 });
}

test('secretlint with the shipped rule finds real ls-/lsci- tokens and passes over look-alikes with a bad checksum', () => {
  const dev = generateToken('developer');
  const ci = generateToken('ci');
  const dir = tempDir('pa-secretlint-');
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', '.env'), `# local settings\nLOCALSTACK_AUTH_TOKEN=${dev}\n`);
  writeFileSync(join(dir, 'ci.yml'), `env:\n  LOCALSTACK_AUTH_TOKEN: "${ci}"\n`);
  writeFileSync(join(dir, 'docs.md'), `Example: LOCALSTACK_AUTH_TOKEN=${lookAlike(dev)} and ${lookAlike(ci)}\n`);
  const run = secretlint(dir);
  assert.equal(run.status, 1, run.stderr || run.stdout);
  // Stylish output: the file, then line:column, severity, message and rule id; never the token.
  const found = [...run.stdout.matchAll(/^(\/\S+)\n\s+(\d+):(\d+)\s+error\s+\[(LOCALSTACK_\w+)\] found a LocalStack .*secretlint-rule-localstack-token$/gm)]
    .map((m) => [m[1].slice(dir.length + 1), Number(m[2]), Number(m[3]), m[4]]);
  assert.deepEqual(found.sort(), [
    ['ci.yml', 2, 26, 'LOCALSTACK_CI_TOKEN'],
    ['config/.env', 2, 22, 'LOCALSTACK_AUTH_TOKEN'],
  ], run.stdout);
  assert.match(run.stdout, /2 problems/);
  assert.ok(!run.stdout.includes(dev) && !run.stdout.includes(ci), 'reported masked');
});

test('secretlint passes (exit 0) over a folder of look-alikes only', () => {
  const dir = tempDir('pa-secretlint-');
  writeFileSync(join(dir, 'README.md'), `Token: ${lookAlike(generateToken('developer'))}\nCI: ${lookAlike(generateToken('ci'))}\nls-XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX\n`);
  const run = secretlint(dir);
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
