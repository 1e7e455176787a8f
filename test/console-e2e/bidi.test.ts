// Names with bidi controls (U+202E reverses what follows it) as every member would read them, in a real browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { generateToken } from '../../src/core/credentials.ts';
import { ADMIN_TOKEN, api, startServer, type RunningServer } from '../helpers/server.ts';
import { DESKTOP, launch, missingBrowser, shoot } from './browser.ts';

const skip = missingBrowser();
const RLO = '\u202e';
const seed = {
  workspaces: [{
    id: 'ws-bidi', name: `Acme ${RLO}gnp.exe`,
    license: { type: 'subscription', plan: 'pro', seats: 2, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    members: [{ email: 'owner@bidi.test', role: 'owner', licensed: true, authToken: generateToken('developer') }],
    ciTokens: [{ name: `deploy${RLO}\u2066lanigiro`, token: generateToken('ci') }],
  }],
};

let server: RunningServer;
let browser: Browser;

describe('bidi controls in names, in a real browser', { skip, timeout: 120_000 }, () => {
  before(async () => {
    server = await startServer({ seed });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a workspace and a CI-token name with U+202E read in logical order on every page that shows them', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: server.url });
    const page = await context.newPage();
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-bidi', { token: ADMIN_TOKEN })).json;
    const link = (await api(server, 'POST', `/admin/v1/members/${ws.members[0].id}/invitation`, { token: ADMIN_TOKEN })).json.link as string;
    await page.goto(link.replace(server.url, ''));
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Set my password' }).click();
    await page.waitForURL('**/getting-started');
    for (const path of ['/getting-started', '/workspace/auth-tokens', '/workspace/members', '/workspace/my-license']) {
      await page.goto(path);
      const text = await page.evaluate(() => document.body.innerText);
      assert.doesNotMatch(text, /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, `${path}: a bidi control reached the page`);
      assert.match(text, /Acme gnp\.exe/, `${path}: the workspace name, in the order it was typed`);
      if (path === '/workspace/auth-tokens') {
        assert.match(text, /deploylanigiro/, 'the CI token name, controls removed');
        await shoot(page, 'bidi-auth-tokens');
      }
    }
    await context.close();
  });
});
