import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { baseEnv, cacheDir, childView, refusedEndpoint, run, SHOW_ENV } from '../helpers/entrypoint.ts';
import { ADMIN_TOKEN, api, startServer, tempDir, type RunningServer } from '../helpers/server.ts';
import { ARTIFACTS, DESKTOP, launch, missingBrowser, shoot } from './browser.ts';

// Issue 21 in a real browser: the owner issues an offline license on Users & Licenses, downloads it once, and the
// real entrypoint starts Pro with it, no credential and no server; the seat it takes is shown and refused to a member.
const skip = missingBrowser();
const PASSWORD = 'correct horse battery';
// Air: 3 seats; the owner and one member hold one each, a third member none.
const seed = {
  workspaces: [{
    id: 'ws-air', name: 'Air',
    license: { type: 'subscription', plan: 'pro', seats: 3, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    members: [
      { email: 'owner@air.test', role: 'owner', licensed: true },
      { email: 'dev@air.test', role: 'member', licensed: true },
      { email: 'late@air.test', role: 'member', licensed: false },
    ],
  }],
};

let server: RunningServer;
let browser: Browser;
let owner: Page;
let downloaded = '';

async function submit(page: Page, click: () => Promise<void>): Promise<number> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), click()]);
  await page.waitForLoadState();
  return response.status();
}

describe('offline licenses on the console, in a real browser', { skip, timeout: 120_000 }, () => {
  before(async () => {
    server = await startServer({ seed });
    browser = await launch();
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-air', { token: ADMIN_TOKEN })).json;
    const member = ws.members.find((m: { email: string }) => m.email === 'owner@air.test');
    const link = (await api(server, 'POST', `/admin/v1/members/${member.id}/invitation`, { token: ADMIN_TOKEN })).json.link as string;
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url, acceptDownloads: true });
    owner = await context.newPage();
    owner.setDefaultTimeout(10_000);
    await owner.goto(link.replace(server.url, ''));
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Set my password' }).click();
    await owner.waitForURL('**/getting-started');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    console.log(`offline license screenshots: ${ARTIFACTS}`);
  });

  test('the page says before issuing that revocation is by expiry only, and that the seats come from the workspace', async () => {
    await owner.goto('/workspace/members');
    const section = owner.locator('section[aria-labelledby="offline-h"]');
    assert.match(await section.innerText(), /takes the seats it stands for from this workspace's 3 seats for as long as it is valid: members past the limit are refused a seat/);
    assert.match(await owner.locator('#offline-revocation').innerText(), /Revocation is by expiry only/);
    assert.equal((await owner.locator('#seats').innerText()).trim(), '2 of 3 seats assigned.');
    await shoot(owner, 'offline-licenses-before');
  });

  test('the owner issues one, downloads it once, and the real entrypoint starts Pro with it offline', async () => {
    await owner.getByLabel('Installation name').fill('ship-7');
    await owner.getByLabel('Seats').fill('1');
    const until = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
    await owner.getByLabel('Valid until (start of the day, UTC)').fill(until);
    assert.equal(await submit(owner, () => owner.getByRole('button', { name: 'Issue offline license' }).click()), 200);
    assert.match(await owner.locator('#offline-issued').innerText(), /will not show it again/);
    const [download] = await Promise.all([owner.waitForEvent('download'), owner.locator('#offline-download').click()]);
    assert.equal(download.suggestedFilename(), 'license.json');
    downloaded = join(tempDir(), 'license.json');
    await download.saveAs(downloaded);
    assert.equal((await owner.locator('#seats').innerText()).trim(), '3 of 3 seats assigned (2 to members, 1 to offline licenses while they are valid) — none left.');
    await shoot(owner, 'offline-license-issued');

    const r = await run(SHOW_ENV, baseEnv({
      API_ENDPOINT: await refusedEndpoint(), LICENSE_TRUSTED_KEYS: join(server.dataDir, 'public/jwks.json'), LICENSE_CACHE_DIR: cacheDir(), LOCALSTACK_LICENSE_FILE: downloaded,
    }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(childView(r), { pro: '1', mode: 'offline-license', file: downloaded });
    assert.match(r.stderr, /Successfully activated offline license off-[0-9a-f-]+ for ship-7 \(workspace Air, 1 seat\)/);
  });

  test('the seat it takes is refused to a member past the limit; the list keeps id and hash, never the file', async () => {
    await owner.goto('/workspace/members');
    assert.equal(await owner.locator('#offline-download').count(), 0, 'the file is shown once');
    const status = await submit(owner, () => owner.getByRole('button', { name: 'Assign a seat to late@air.test' }).click());
    assert.equal(status, 409);
    assert.match(await owner.locator('.alert.error').innerText(), /No seat left for late@air\.test: all 3 seats of your license are assigned \(1 of them taken by offline licenses while they are valid\)/);
    const list = await owner.locator('#offline-list').innerText();
    assert.match(list, /ship-7/);
    assert.match(list, /off-[0-9a-f-]+/);
    assert.match(list, /owner@air\.test/);
    const jws = JSON.parse(readFileSync(downloaded, 'utf8')).license as string;
    assert.ok(!(await owner.content()).includes(jws.split('.')[2]!), 'the page no longer holds the file');
    await shoot(owner, 'offline-license-seat-refused');
  });
});
