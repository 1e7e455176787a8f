// gitleaks is a Go binary not installable here (no apt package, no internet): its rules' regular expressions use only
// syntax that RE2 and JavaScript read alike, so they are checked here against real tokens and near misses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { ROOT } from '../helpers/paths.ts';

const toml = readFileSync(join(ROOT, 'scanners/gitleaks.toml'), 'utf8');
const rules = Object.fromEntries([...toml.matchAll(/^id = "([^"]+)"[\s\S]*?^regex = '''(.+)'''$/gm)].map((m) => [m[1], new RegExp(m[2])]));

test('the gitleaks rules find each token form in context, and only its own form', () => {
  assert.deepEqual(Object.keys(rules).sort(), ['localstack-auth-token', 'localstack-ci-auth-token']);
  const dev = generateToken('developer');
  const ci = generateToken('ci');
  const secret = (rule: string, text: string) => rules[rule].exec(text)?.[1];
  assert.equal(secret('localstack-auth-token', `LOCALSTACK_AUTH_TOKEN=${dev}\n`), dev);
  assert.equal(secret('localstack-auth-token', `token: "${dev}"`), dev);
  assert.equal(secret('localstack-ci-auth-token', `LOCALSTACK_AUTH_TOKEN: ${ci}`), ci);
  assert.equal(secret('localstack-auth-token', `x=${ci}`), undefined, 'a CI token is not a developer token');
  assert.equal(secret('localstack-ci-auth-token', `x=${dev}`), undefined);
  assert.equal(secret('localstack-auth-token', `xls-${dev.slice(3)}`), undefined, 'not inside a longer word');
  assert.equal(secret('localstack-auth-token', `${dev}X`), undefined, 'not a prefix of a longer word');
  assert.equal(secret('localstack-auth-token', 'ls-XXXXXXXX-XXXX-XXXX'), undefined, 'a short look-alike');
});
