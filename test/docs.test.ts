import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENV } from '../src/core/constants.ts';
import { EXIT } from '../src/entrypoint/defaults.ts';
import { knownReasonCodes } from '../src/entrypoint/reasons.ts';
import { ROOT } from './helpers/paths.ts';

// The guides and the code name the same variables, reasons and exit codes: a name added, renamed or removed on one
// side fails here, saying which name and where.

const GUIDE = 'docs/running-the-image.md';
const guide = readFileSync(join(ROOT, GUIDE), 'utf8');

/** The text of one `## heading` section of the guide. */
function section(heading: string): string {
  const start = guide.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `${GUIDE} has no section "## ${heading}"`);
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end === -1 ? undefined : end);
}

/** The backticked names in the first column of a section's table. */
function firstColumn(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('|---')).slice(1)
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

test(`every variable the entrypoint reads or sets is in ${GUIDE} "Entrypoint environment", and every one there exists`, () => {
  const text = section('Entrypoint environment');
  const inCode = Object.values(ENV) as string[];
  const missing = inCode.filter((name) => !text.includes(`\`${name}\``) && !text.includes(`${name}=`));
  assert.deepEqual(missing, [], `in src/core/constants.ts ENV but not in ${GUIDE}: ${missing.join(', ')}`);
  // Names the table documents: this program's own, or the environment's that it honours by their standard names.
  const standard = new Set(['CI', 'GITHUB_ACTIONS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'NODE_EXTRA_CA_CERTS', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
  const documented = firstColumn(text).filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n));
  const unknown = documented.filter((n) => !inCode.includes(n) && !standard.has(n));
  assert.deepEqual(unknown, [], `in ${GUIDE}'s table but read nowhere (src/core/constants.ts ENV): ${unknown.join(', ')}`);
});

test(`every reason code has a row in ${GUIDE} "Troubleshooting", and every row's code exists`, () => {
  const rows = firstColumn(section('Troubleshooting'));
  const codes = knownReasonCodes();
  const missing = codes.filter((c) => !rows.includes(c));
  assert.deepEqual(missing, [], `reasons in src/entrypoint/reasons.ts with no Troubleshooting row: ${missing.join(', ')}`);
  const stale = rows.filter((c) => !codes.includes(c));
  assert.deepEqual(stale, [], `Troubleshooting rows for codes the entrypoint no longer has: ${stale.join(', ')}`);
});

test(`every exit code of the entrypoint is in ${GUIDE} "Exit codes", and every one there exists`, () => {
  const text = section('Exit codes (entrypoint)');
  const numbers = new Set(text.split('\n').filter((l) => l.startsWith('| ')).flatMap((l) => [...l.split('|')[1]!.matchAll(/\b(\d+)\b/g)].map((m) => Number(m[1]))));
  const codes = Object.values(EXIT) as number[];
  const missing = codes.filter((c) => !numbers.has(c));
  assert.deepEqual(missing, [], `exit codes in src/entrypoint/defaults.ts EXIT not in the table: ${missing.join(', ')}`);
  const stale = [...numbers].filter((n) => !codes.includes(n));
  assert.deepEqual(stale, [], `exit codes in the table that the entrypoint never uses: ${stale.join(', ')}`);
});
