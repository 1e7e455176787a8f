import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { baseEnv, cacheDir, childView, run, SHOW_ENV } from '../helpers/entrypoint.ts';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.ts';
import { ADMIN_TOKEN, api, startServer, type RunningServer } from '../helpers/server.ts';
import { ARTIFACTS, DESKTOP, launch, missingBrowser, shoot } from './browser.ts';

// A workspace admin trusts a CI identity on the Auth Tokens page in a real browser; the real entrypoint in a simulated
// GitHub Actions job then activates with no stored secret, and My License shows the pipeline's activation.

const skip = missingBrowser();
const seed = {
  workspaces: [{
    id: 'ws-team', name: 'Team',
    license: { type: 'subscription', plan: 'pro', seats: 2, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    members: [{ email: 'admin@team.test', role: 'admin', licensed: true }],
  }],
};

let issuer: OidcIssuer;
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;

const githubJob = () => run(SHOW_ENV, baseEnv({
  API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: join(server.dataDir, 'public/jwks.json'), LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5',
  CI: 'true', GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken, NODE_EXTRA_CA_CERTS: issuer.caFile,
}));

async function submit(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), click()]);
  await page.waitForLoadState();
  return response.status();
}

describe('trusted CI identities on the Auth Tokens page', { skip, timeout: 120_000 }, () => {
  before(async () => {
    issuer = await startOidcIssuer();
    server = await startServer({ seed, args: ['--oidc-issuer', issuer.url], env: { NODE_EXTRA_CA_CERTS: issuer.caFile } });
    browser = await launch();
    context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url });
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await issuer?.close();
  });

  test('an admin adds a trust; a GitHub Actions job then activates with it, and My License lists the run', async () => {
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-team', { token: ADMIN_TOKEN })).json;
    const invitation = await api(server, 'POST', `/admin/v1/members/${ws.members[0].id}/invitation`, { token: ADMIN_TOKEN });
    await page.goto(invitation.json.link.replace(server.url, ''));
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Set my password' }).click();
    await page.waitForURL('**/getting-started');

    // Before: the job is refused, naming what it compared.
    const refused = await githubJob();
    assert.equal(refused.code, 55);
    assert.match(refused.stderr, /No trusted CI identity of .* matches this pipeline \(repository acme\/app, ref refs\/heads\/main/);

    await page.goto('/workspace/auth-tokens');
    const section = page.getByRole('region', { name: 'Trusted CI identities (no stored secret)' });
    await section.getByLabel('Title').fill('app on main');
    await section.getByLabel('Issuer').selectOption(issuer.url);
    // A trust that pins no repository is refused in words, and the form keeps what was typed.
    await section.getByLabel('Conditions').fill('ref=refs/heads/main');
    assert.equal(await submit(page, () => section.getByRole('button', { name: 'Trust this CI identity' }).click()), 400);
    assert.match(await page.locator('.alert.error').innerText(), /pin the repository or its owner .* would admit every repository/);
    await page.getByRole('region', { name: 'Trusted CI identities (no stored secret)' }).getByLabel('Conditions').fill('repository=acme/app\nref=refs/heads/main');
    assert.equal(await submit(page, () => page.getByRole('button', { name: 'Trust this CI identity' }).click()), 200);
    assert.match(await page.locator('.alert.success').innerText(), /matching app on main now activate as this workspace's CI/);
    const row = page.getByRole('row', { name: /app on main/ });
    assert.match(await row.innerText(), /repository = acme\/app, ref = refs\/heads\/main/);
    await page.locator('#ci-trusts').scrollIntoViewIfNeeded();
    await shoot(page, 'auth-tokens-ci-trusts');

    const job = await githubJob();
    assert.equal(job.code, 0, job.stderr);
    assert.equal(childView(job).mode, 'online');

    await page.goto('/workspace/my-license');
    const pipelines = page.getByRole('table', { name: 'Recent activations by trusted pipelines' });
    assert.match(await pipelines.innerText(), /app on main\s+acme\/app\s+refs\/heads\/main\s+1001\/1/);
    await shoot(page, 'my-license-pipelines');
    if (process.env.CONSOLE_ARTIFACTS) console.log(`screenshots in ${ARTIFACTS}`);
  });
});
