import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { baseEnv, cacheDir, childView, run, SHOW_ENV } from '../helpers/entrypoint.ts';
import { ADMIN_TOKEN, api, startServer, type RunningServer } from '../helpers/server.ts';
import { ARTIFACTS, DESKTOP, firstPaint, launch, missingBrowser, paints, PHONE, shoot, writePaints } from './browser.ts';

const skip = missingBrowser();
const PASSWORD = 'correct horse battery';
// Team: a subscription with 2 seats; its admin holds one, a plain member holds none.
const seed = {
  workspaces: [{
    id: 'ws-team', name: 'Team',
    license: { type: 'subscription', plan: 'pro', seats: 2, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    members: [
      { email: 'admin@team.test', role: 'admin', licensed: true },
      { email: 'waiting@team.test', role: 'member', licensed: false },
    ],
  }],
};

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** The real entrypoint, activating against the test server with the given environment. */
const activate = (extra: Record<string, string>) => run(SHOW_ENV, baseEnv({
  API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: join(server.dataDir, 'public/jwks.json'), LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', ...extra,
}));

async function newPage(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: server.url });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

async function visit(page: Page, path: string, _name?: string) {
  return page.goto(path);
}

/** Submits a form with a click; returns the status of the answer to its post, once that page has loaded. */
async function submit(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), click()]);
  await page.waitForLoadState();
  return response.status();
}

const adminInvitation = async (email: string) => {
  const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-team', { token: ADMIN_TOKEN })).json;
  const member = ws.members.find((m: { email: string }) => m.email === email);
  const res = await api(server, 'POST', `/admin/v1/members/${member.id}/invitation`, { token: ADMIN_TOKEN });
  assert.equal(res.status, 201, res.text);
  return res.json.link as string;
};

async function acceptInvitation(page: Page, link: string) {
  await visit(page, link.replace(server.url, ''), 'accept-invitation');
  assert.equal(new URL(page.url()).hash, '', 'the script takes the code out of the address bar');
  await expectHidden(page, 'Invitation code');
  await shoot(page, 'accept-invitation');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set my password' }).click();
  await page.waitForURL('**/getting-started');
}

const expectHidden = async (page: Page, label: string) => assert.equal(await page.getByLabel(label).isVisible(), false, `${label} is hidden`);

describe('web console in a real browser', { skip, timeout: 120_000 }, () => {
  before(async () => {
    server = await startServer({ seed });
    browser = await launch();
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    const file = writePaints();
    // The default folder is removed when the run ends: named only when CONSOLE_ARTIFACTS keeps it.
    if (process.env.CONSOLE_ARTIFACTS) console.log(`console screenshots and first-paint figures: ${ARTIFACTS} (${file})`);
  });

  let owner: Page;
  let token = '';

  test('a signed-out visit goes to /sign-in, and sign-up lands on Getting Started with a masked token that copies whole', async () => {
    owner = await newPage();
    await visit(owner, '/workspace/members', 'sign-in');
    assert.equal(new URL(owner.url()).pathname, '/sign-in');
    await shoot(owner, 'sign-in');
    await visit(owner, '/sign-up', 'sign-up');
    await shoot(owner, 'sign-up');
    await owner.getByLabel('Email').fill('founder@startup.test');
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByLabel('Workspace name').fill('Startup');
    await owner.getByRole('button', { name: 'Create my workspace' }).click();
    await owner.waitForURL('**/getting-started');
    await shoot(owner, 'getting-started');

    const value = owner.locator('#auth-token');
    assert.equal(await value.isVisible(), false, 'masked until revealed');
    assert.match(await owner.locator('.secret summary').innerText(), /ls-.{4}…/);
    await owner.locator('.secret summary').focus();
    await owner.keyboard.press('Enter');
    assert.equal(await value.isVisible(), true, 'revealed from the keyboard');
    await owner.getByRole('button', { name: 'Copy auth token' }).click();
    token = await owner.evaluate(() => navigator.clipboard.readText());
    assert.match(token, /^ls-[A-Za-z0-9]{8}-/);
    assert.equal(token, (await value.innerText()).trim());
    await owner.getByRole('button', { name: 'Copy CLI commands with your token' }).click();
    // The snippet names this server and its keys, so that it activates against the console that showed it.
    assert.equal(await owner.evaluate(() => navigator.clipboard.readText()),
      `export LOCALSTACK_AUTH_TOKEN="${token}"\nexport API_ENDPOINT=${server.url}/v1\nexport LICENSE_TRUSTED_KEYS="$PWD/localstack-keys.json"\nlocalstack start`);
    // What the page shows holds a placeholder, never a masked token that would copy as a broken one.
    const shownText = await owner.locator('main').innerText();
    assert.match(shownText, /export LOCALSTACK_AUTH_TOKEN="<YOUR_AUTH_TOKEN>"/);
    assert.doesNotMatch(shownText, /LOCALSTACK_AUTH_TOKEN="ls-/);
    assert.match(shownText, new RegExp(`curl -fsSo localstack-keys.json ${server.url}/.well-known/jwks.json`));
    assert.match(shownText, /14 days left/, 'the trial\'s days left on Getting Started');
    assert.match(await owner.locator('main').innerText(), /LOCALSTACK_AUTH_TOKEN=\$\{LOCALSTACK_AUTH_TOKEN- \}/);
    assert.ok(!owner.url().includes(token), 'no token in a URL');
    await owner.getByText('Hide auth token').click();
    assert.equal(await value.isVisible(), false, 'hidden again');
  });

  test('the copied token activates the real entrypoint, and My License shows the trial and that activation', async () => {
    const r = await activate({ LOCALSTACK_AUTH_TOKEN: token });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(childView(r).pro, '1');
    assert.ok(!(r.stdout + r.stderr).includes(token), 'the entrypoint prints no token');
    await visit(owner, '/workspace/my-license', 'my-license');
    const text = await owner.locator('main').innerText();
    assert.match(text, /License\s+Trial/);
    assert.doesNotMatch(text, /Plan\s+trial/, 'the trial is said once, not as plan, type and status');
    assert.match(text, /Status\s+ACTIVE/);
    assert.equal((await owner.locator('#trial-left').innerText()).trim(), '14 days left');
    assert.match(text, /not CI\s+\S+/, 'the activation is listed, not in CI');
    await shoot(owner, 'my-license');
  });

  test('rotating asks first, shows the new value once, and the entrypoint refuses the old one', async () => {
    await visit(owner, '/workspace/auth-tokens', 'auth-tokens');
    await owner.getByText('Rotate my auth token…').click();
    assert.match(await owner.locator('.confirm-body').first().innerText(), /old value stops working at once/);
    await owner.getByRole('button', { name: 'Rotate now' }).click();
    // Post/redirect/get: the address is the page's own, a reload asks nothing and rotates nothing.
    await owner.waitForURL('**/workspace/auth-tokens?done=rotated');
    assert.match(await owner.locator('main').innerText(), /Your auth token was rotated/);
    const fresh = (await owner.locator('#auth-token').textContent())!.trim();
    await owner.reload();
    assert.equal((await owner.locator('#auth-token').textContent())!.trim(), fresh, 'a reload rotates nothing');
    assert.match(fresh, /^ls-/);
    assert.notEqual(fresh, token);
    const old = await activate({ LOCALSTACK_AUTH_TOKEN: token });
    assert.equal(old.code, 55, old.stderr);
    assert.match(old.stderr, /License activation failed/);
    const now = await activate({ LOCALSTACK_AUTH_TOKEN: fresh });
    assert.equal(now.code, 0, now.stderr);
    await visit(owner, '/getting-started', 'getting-started-after-rotation');
    assert.equal((await owner.locator('#auth-token').textContent())?.trim(), fresh, 'Getting Started shows the new value');
    token = fresh;
  });

  test('a CI token made on Auth Tokens activates with CI=true; its last use is listed', async () => {
    await visit(owner, '/workspace/auth-tokens', 'auth-tokens');
    await owner.getByLabel('Name').fill('github-actions');
    await owner.getByRole('button', { name: 'Create CI token' }).click();
    await owner.waitForLoadState();
    const ci = (await owner.locator('#fresh-value').innerText()).trim();
    assert.match(ci, /^lsci-/);
    assert.equal(new URL(owner.url()).pathname, '/workspace/auth-tokens', 'the address bar shows the page, not the form\'s address');
    await shoot(owner, 'auth-tokens-new-ci-token');
    const r = await activate({ LOCALSTACK_AUTH_TOKEN: ci, CI: 'true' });
    assert.equal(r.code, 0, r.stderr);
    const devInCi = await activate({ LOCALSTACK_AUTH_TOKEN: token, CI: 'true' });
    assert.equal(devInCi.code, 55, 'a developer token is refused in CI');
    await visit(owner, '/workspace/auth-tokens', 'auth-tokens');
    const row = owner.getByRole('row', { name: /github-actions/ });
    assert.match(await row.innerText(), /lsci-.{4}…/);
    assert.doesNotMatch(await row.innerText(), /never/, 'the activation set its last use');
    assert.ok(!(await owner.content()).includes(ci), 'listed masked, shown only once');
    await shoot(owner, 'auth-tokens');
  });

  let newcomerLink = '';
  test('an admin invited by link assigns the last seat, and the next assignment is refused in words', async () => {
    const admin = await newPage();
    await acceptInvitation(admin, await adminInvitation('admin@team.test'));
    await visit(admin, '/workspace/members', 'members');
    assert.match(await admin.locator('#seats').innerText(), /1 of 2 seats assigned/);
    await admin.getByLabel('Email').fill('newcomer@team.test');
    await admin.getByRole('button', { name: 'Invite member' }).click();
    await admin.waitForLoadState();
    newcomerLink = (await admin.locator('#invitation-link').innerText()).trim();
    assert.match(newcomerLink, /\/accept-invitation#[A-Za-z0-9_-]{43}$/);
    assert.equal(await submit(admin, () => admin.getByRole('button', { name: 'Assign a seat to newcomer@team.test' }).click()), 200);
    assert.match(await admin.locator('#seats').innerText(), /2 of 2 seats assigned — none left/);
    const status = await submit(admin, () => admin.getByRole('button', { name: 'Assign a seat to waiting@team.test' }).click());
    assert.equal(status, 409);
    assert.match(await admin.getByRole('alert').innerText(), /No seat left for waiting@team\.test: all 2 seats of your license are assigned/);
    await shoot(admin, 'members-no-seat');
  });

  test('a plain member sees no CI controls and why, and no member controls (phone width)', async () => {
    const member = await newPage(PHONE);
    await acceptInvitation(member, newcomerLink);
    const token = (await member.locator('#auth-token').textContent())?.trim() ?? '';
    assert.match(token, /^ls-/, 'an invitation made in the console hands the member their token');
    assert.equal((await activate({ LOCALSTACK_AUTH_TOKEN: token })).code, 0, 'the newcomer holds the seat the admin assigned');
    await visit(member, '/workspace/auth-tokens', 'auth-tokens-member');
    assert.equal(await member.getByRole('button', { name: 'Create CI token' }).count(), 0);
    assert.match(await member.locator('#ci-tokens ~ .alert, section:has(#ci-tokens) .alert').first().innerText(), /Your role \(member\) cannot see or manage CI tokens/);
    await member.setViewportSize(PHONE);
    await member.screenshot({ path: join(ARTIFACTS, 'auth-tokens-member-phone.png'), fullPage: true });
    await visit(member, '/workspace/members', 'members-member');
    assert.equal(await member.getByRole('button', { name: 'Invite member' }).count(), 0);
    assert.equal(await member.getByRole('button', { name: /Assign a seat|Free the seat/ }).count(), 0);
    await shoot(member, 'members-member');
    // The server refuses too: a hand-made form with a valid CSRF token gets the no-permission page.
    const status = await submit(member, () => member.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/workspace/ci-tokens';
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')!.cloneNode() as HTMLInputElement;
      const name = Object.assign(document.createElement('input'), { name: 'name', value: 'sneaky' });
      form.append(csrf, name);
      document.body.append(form);
      form.submit();
    }));
    assert.equal(status, 403);
    assert.match(await member.locator('h1').innerText(), /You do not have permission/);
    assert.match(await member.getByRole('alert').innerText(), /your role \(member\) cannot manage CI tokens/);
    await shoot(member, 'no-permission');
  });

  test('first paint of each page on loopback (median of 3, recorded, not asserted)', async () => {
    const anonymous = await newPage();
    const pages = ['/sign-in', '/sign-up', '/accept-invitation', '/getting-started', '/workspace/auth-tokens', '/workspace/members', '/workspace/my-license'];
    for (const path of pages) {
      const runs: number[] = [];
      const page = path.startsWith('/workspace') || path === '/getting-started' ? owner : anonymous;
      for (let i = 0; i < 3; i++) {
        await page.goto(path);
        assert.equal(new URL(page.url()).pathname, path);
        await page.waitForFunction(() => performance.getEntriesByType('paint').length > 0, undefined, { timeout: 5000 });
        runs.push(await firstPaint(page, path));
      }
      paints[path] = runs.sort((a, b) => a - b)[1];
      assert.ok(paints[path] > 0, `${path} painted`);
    }
    // Baseline from the same browser and run: a one-line page that needs no server, no stylesheet, no script.
    const base: number[] = [];
    for (let i = 0; i < 3; i++) {
      await owner.goto('data:text/html,<!doctype html><title>baseline</title><h1>Baseline</h1>');
      await owner.waitForFunction(() => performance.getEntriesByType('paint').length > 0, undefined, { timeout: 5000 });
      base.push(await firstPaint(owner, 'baseline'));
    }
    paints['baseline: data: URL, one heading'] = base.sort((a, b) => a - b)[1];
    console.log(`first paint (ms): ${JSON.stringify(paints)}`);
  });

  test('after sign-out the old cookie meets a clear expired-session page', async () => {
    const page = await newPage();
    await visit(page, '/sign-in', 'sign-in');
    await page.getByLabel('Email').fill('founder@startup.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/getting-started');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'console_session')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.context().addCookies([session]);
    const response = await visit(page, '/workspace/my-license', 'session-expired');
    assert.equal(response?.status(), 401);
    assert.match(await page.locator('h1').innerText(), /Your session has expired/);
    await shoot(page, 'session-expired');
  });
});
