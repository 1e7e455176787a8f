// The owner's side of a leak, in a real browser: the Auth Tokens page says when, where and what was done,
// to the member for their own token and to CI managers for a CI token; rotating there gives a working token.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateToken } from '../../src/core/credentials.ts';
import { baseEnv, cacheDir, run, SHOW_ENV } from '../helpers/entrypoint.ts';
import { keyDocument, match, scannerKey, signedHeaders } from '../helpers/scanner.ts';
import { ADMIN_TOKEN, api, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { DESKTOP, launch, missingBrowser, shoot } from './browser.ts';

const skip = missingBrowser();
const PASSWORD = 'correct horse battery';
const github = scannerKey('github-test-key');
const tokens = { admin: generateToken('developer'), member: generateToken('developer'), ci: generateToken('ci') };
const seed = {
  workspaces: [{
    id: 'ws-leak', name: 'Leaky',
    license: { type: 'subscription', plan: 'pro', seats: 2, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    members: [
      { email: 'admin@leaky.test', role: 'admin', licensed: true, authToken: tokens.admin },
      { email: 'dev@leaky.test', role: 'member', licensed: true, authToken: tokens.member },
    ],
    ciTokens: [{ name: 'github-actions', token: tokens.ci }],
  }],
};

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

const activate = (token: string) => run(SHOW_ENV, baseEnv({
  API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: join(server.dataDir, 'public/jwks.json'), LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', LOCALSTACK_AUTH_TOKEN: token,
}));

/** A member signed in through the invitation link the admin API makes. */
async function signedIn(email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-leak', { token: ADMIN_TOKEN })).json;
  const member = ws.members.find((m: { email: string }) => m.email === email);
  const link = (await api(server, 'POST', `/admin/v1/members/${member.id}/invitation`, { token: ADMIN_TOKEN })).json.link as string;
  await page.goto(link.replace(server.url, ''));
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set my password' }).click();
  await page.waitForURL('**/getting-started');
  return page;
}

describe('leaked tokens on the console in a real browser', { skip, timeout: 120_000 }, () => {
  before(async () => {
    const keys = join(tempDir(), 'secret-scanning-keys.json');
    writeFileSync(keys, keyDocument([github]));
    server = await startServer({ seed, args: ['--secret-scanning-keys', keys] });
    browser = await launch();
    const body = JSON.stringify([
      match(tokens.member, 'https://github.com/leaky/app/blob/main/.env'),
      match(tokens.ci, 'https://github.com/leaky/infra/blob/main/.github/workflows/ci.yml'),
    ]);
    const res = await api(server, 'POST', '/v1/secret-scanning/alerts', { raw: body, headers: signedHeaders(body, github) });
    assert.deepEqual(res.json.map((l: { label: string }) => l.label), ['true_positive', 'true_positive']);
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  test('the member sees when, where and what was done to their token, and rotating there gives a working one', async () => {
    const page = await signedIn('dev@leaky.test');
    await page.goto('/workspace/auth-tokens');
    const section = page.getByRole('region', { name: 'Tokens found in public' });
    const text = await section.innerText();
    assert.match(text, new RegExp(`Your auth token ${tokens.member.slice(0, 7)}… was found in public at github\\.com/leaky/app/blob/main/\\.env on \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC and was revoked`));
    assert.ok(!text.includes('github-actions'), 'a plain member does not see the CI token\'s event');
    assert.ok(!(await page.content()).includes(tokens.member), 'the leaked value is not on the page');
    await shoot(page, 'auth-tokens-leaked-member');
    await page.getByText('Rotate my auth token…').click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.waitForURL('**/workspace/auth-tokens?done=rotated');
    const fresh = (await page.locator('#auth-token').textContent())!.trim();
    const works = await activate(fresh);
    assert.equal(works.code, 0, works.stderr);
    const old = await activate(tokens.member);
    assert.equal(old.code, 55);
    assert.match(old.stderr, /found in public at github\.com\/leaky\/app\/blob\/main\/\.env/);
  });

  test('an admin sees the leaked CI token that was deleted, and where it was found', async () => {
    const page = await signedIn('admin@leaky.test');
    await page.goto('/workspace/auth-tokens');
    const text = await page.getByRole('region', { name: 'Tokens found in public' }).innerText();
    assert.match(text, /CI token github-actions \(lsci-.{4}…\) was found in public at github\.com\/leaky\/infra\/blob\/main\/\.github\/workflows\/ci\.yml on .* and was deleted/);
    assert.ok(!text.includes('Your auth token'), 'the admin\'s own token did not leak');
    await shoot(page, 'auth-tokens-leaked-ci');
  });
});
