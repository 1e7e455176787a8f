import assert from 'node:assert/strict';
import { AUTH_TOKENS_URL } from '../../../src/core/constants.ts';
import { after, before, describe, test } from 'node:test';
import { alertOf, ADMIN, Client, world } from './client.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World;
before(async () => {
  w = await world();
});
after(async () => {
  await w.close();
});

const HOUR = 3_600_000;
/** The workspace and member behind an email that signed up or was invited. */
async function memberOf(email: string) {
  for (const ws of await w.store.workspaces()) {
    const m = await w.store.memberByEmail(ws.id, email);
    if (m) return { ws, m };
  }
  throw new Error(`no member ${email}`);
}
const activate = (token: string) => w.app.inject({
  method: 'POST', url: '/v1/license/activate', headers: { authorization: `Bearer ${token}` },
  payload: { product: 'localstack-pro', version: '1.0.0', ci: false },
});

describe('signed out', () => {
  test('a workspace page sends a signed-out visitor to /sign-in, remembering only the path', async () => {
    const res = await new Client(w.app).get('/workspace/members?x=1');
    assert.equal(res.status, 303);
    assert.equal(res.location, '/sign-in?next=%2Fworkspace%2Fmembers');
  });

  test('every page has a CSP without inline scripts, no inline script, labelled inputs, and is never cached', async () => {
    const res = await new Client(w.app).get('/sign-in');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)/, 'no inline <script>');
    assert.doesNotMatch(res.body, /\son[a-z]+=/i, 'no inline event handler');
    assert.doesNotMatch(res.body, /https?:\/\//, 'nothing fetched from elsewhere');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.body, /<label for="email">Email<\/label><input id="email"/);
    assert.match(res.body, /<label for="password">Password<\/label><input id="password"/);
  });

  test('the Auth Tokens address the CLI and the banner print is the console\'s page', async () => {
    const path = new URL(AUTH_TOKENS_URL).pathname;
    const res = await new Client(w.app).get(path);
    assert.equal(res.status, 303, `${path} is a page of this console`);
    assert.equal(res.location, `/sign-in?next=${encodeURIComponent(path)}`);
  });

  test('a mistyped workspace address is a page, the API keeps its JSON 404 and 405', async () => {
    const res = await new Client(w.app).get('/workspace/nope');
    assert.equal(res.status, 404);
    assert.match(res.body, /<h1>No such page<\/h1>/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const api = await w.app.inject({ method: 'GET', url: '/v1/nope' });
    assert.equal(api.json().error.code, 'request.not_found');
    assert.equal((await w.app.inject({ method: 'GET', url: '/v1/license/activate' })).statusCode, 405);
  });

  test('assets are served by the server itself, cacheable, with an ETag', async () => {
    const client = new Client(w.app);
    for (const name of ['console.css', 'console.js']) {
      const res = await client.get(`/console/assets/${name}`);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['cache-control']), /max-age=3600/);
      const again = await w.app.inject({ url: `/console/assets/${name}`, headers: { 'if-none-match': String(res.headers.etag) } });
      assert.equal(again.statusCode, 304);
    }
    assert.equal((await client.get('/console/assets/nope.js')).status, 404);
  });

  test('a form posted without its CSRF token changes nothing and says why', async () => {
    const before = (await w.store.workspaces()).length;
    const client = new Client(w.app);
    await client.get('/sign-up');
    const res = await client.post('/sign-up', { _csrf: 'forged', email: 'csrf@x.test', password: 'a long enough password' });
    assert.equal(res.status, 403);
    assert.match(res.body, /This form has expired/);
    const bare = await new Client(w.app).post('/sign-up', { email: 'csrf@x.test', password: 'a long enough password' });
    assert.equal(bare.status, 403);
    assert.equal((await w.store.workspaces()).length, before);
  });
});

describe('sign-up and sign-in', () => {
  test('sign-up creates a workspace, its owner and a 14-day trial; the session cookie is HttpOnly and SameSite', async () => {
    const client = new Client(w.app);
    const res = await client.signUp('Owner@Example.test', 'a long enough password', 'Example <Co>');
    assert.equal(res.status, 303);
    assert.equal(res.location, '/getting-started');
    const cookie = [res.headers['set-cookie']].flat().find((c) => c!.startsWith('console_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http on loopback: Secure would drop the cookie');
    const ws = (await w.store.workspaces()).find((x) => x.name === 'Example <Co>')!;
    const [owner] = await w.store.members(ws.id);
    assert.deepEqual([owner.email, owner.role], ['owner@example.test', 'owner']);
    const lic = await w.accounts.effectiveLicense(ws);
    assert.equal(lic.type, 'trial');
    assert.equal(Date.parse(lic.expiresAt) - Date.parse(lic.startsAt), 14 * 24 * HOUR);
    const page = await client.get('/workspace/my-license');
    assert.match(page.body, /14 days left/);
    assert.match(page.body, /Example &lt;Co>/, 'the workspace name is escaped');
    const token = await client.token();
    assert.equal((await activate(token)).statusCode, 200, 'the token on Getting Started activates');
  });

  test('behind TLS (an https public URL, TLS ending at a proxy) the cookies are Secure and links are https', async () => {
    const tls = await world({ issuer: 'https://licenses.example.test' });
    try {
      const client = new Client(tls.app);
      const form = await client.get('/sign-up');
      assert.match(String([form.headers['set-cookie']].flat().find((c) => c!.startsWith('console_csrf='))), /; Secure/);
      const res = await client.post('/sign-up', { email: 'tls@x.test', password: 'a long enough password' });
      assert.match(String([res.headers['set-cookie']].flat().find((c) => c!.startsWith('console_session='))), /; Secure/);
      const [ws] = await tls.store.workspaces();
      const m = (await tls.store.memberByEmail(ws.id, 'tls@x.test'))!;
      const link = (await tls.app.inject({ method: 'POST', url: `/admin/v1/members/${m.id}/invitation`, headers: { authorization: `Bearer ${ADMIN}` } })).json().link;
      assert.match(link, /^https:\/\/licenses\.example\.test\/accept-invitation#[A-Za-z0-9_-]{43}$/);
    } finally {
      await tls.close();
    }
  });

  test('the database and the data folder never hold a token or a password in plain text', async () => {
    const client = new Client(w.app);
    await client.signUp('plain@example.test', 'my secret password 42');
    const token = await client.token();
    const all = await w.stored();
    assert.ok(all.indexOf('plain@example.test') >= 0, 'the dump holds the rows');
    assert.ok(token.startsWith('ls-'));
    assert.equal(all.indexOf(token), -1, 'no token');
    assert.equal(all.indexOf('my secret password 42'), -1, 'no password');
  });

  test('bad sign-up input: one clear message, nothing created', async () => {
    const before = (await w.store.workspaces()).length;
    const client = new Client(w.app);
    await client.get('/sign-up');
    const short = await client.post('/sign-up', { email: 'short@x.test', password: 'short' });
    assert.equal(short.status, 400);
    assert.match(alertOf(short.body), /at least 10 characters/);
    const email = await client.post('/sign-up', { email: 'not-an-email', password: 'a long enough password' });
    assert.equal(email.status, 400);
    assert.match(alertOf(email.body), /Enter an email address/);
    await new Client(w.app).signUp('twice@x.test');
    const twice = await client.post('/sign-up', { email: 'TWICE@x.test', password: 'a long enough password' });
    assert.equal(twice.status, 409);
    assert.match(alertOf(twice.body), /exists already: sign in instead/);
    assert.equal((await w.store.workspaces()).length, before + 1);
  });

  test('sign-in: wrong password is refused in words; the next path stays on this site', async () => {
    await new Client(w.app).signUp('signin@x.test');
    const client = new Client(w.app);
    const wrong = await client.signIn('signin@x.test', 'not the password');
    assert.equal(wrong.status, 401);
    assert.match(alertOf(wrong.body), /email or the password is wrong/);
    await client.get('/sign-in');
    const res = await client.post('/sign-in', { email: 'signin@x.test', password: 'a long enough password', next: '//evil.test/x' });
    assert.equal(res.location, '/getting-started');
    await client.post('/sign-out');
    await client.get('/sign-in?next=/workspace/members');
    assert.equal((await client.post('/sign-in', { email: 'signin@x.test', password: 'a long enough password', next: '/workspace/members' })).location, '/workspace/members');
  });

  test('signed in, sign-in and sign-up go on to the console; a new sign-in ends the session this browser had', async () => {
    const client = new Client(w.app);
    await client.signUp('again@x.test');
    assert.equal((await client.get('/sign-in')).location, '/getting-started');
    assert.equal((await client.get('/sign-up')).location, '/getting-started');
    const first = client.cookies.get('console_session')!;
    await client.get('/getting-started');
    assert.equal((await client.post('/sign-in', { email: 'again@x.test', password: 'a long enough password' })).status, 303);
    const second = client.cookies.get('console_session')!;
    assert.notEqual(second, first, 'a new session id');
    const old = new Client(w.app);
    old.cookies.set('console_session', first);
    assert.equal((await old.get('/getting-started')).status, 401, 'the old one is gone');
  });

  test('sign-in is rate-limited per email: the 11th try in a minute waits, even with the right password', async () => {
    await new Client(w.app).signUp('limited@x.test');
    const client = new Client(w.app);
    for (let i = 0; i < 10; i++) assert.equal((await client.signIn('limited@x.test', `wrong password ${i}`)).status, 401);
    const blocked = await client.signIn('limited@x.test');
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    assert.match(blocked.body, /Too many attempts/);
    w.advance(61_000);
    assert.equal((await client.signIn('limited@x.test')).status, 303, 'a minute later it works');
  });

  test('a session ends after 12 hours with a clear page, and at sign-out', async () => {
    const client = new Client(w.app);
    await client.signUp('session@x.test');
    assert.equal((await client.get('/workspace/my-license')).status, 200);
    w.advance(12 * HOUR + 1000);
    const expired = await client.get('/workspace/my-license');
    assert.equal(expired.status, 401);
    assert.match(expired.body, /Your session has expired/);
    assert.equal(client.cookies.has('console_session'), false, 'the cookie is cleared');
    await client.signIn('session@x.test');
    const cookie = client.cookies.get('console_session')!;
    await client.get('/getting-started');
    await client.post('/sign-out');
    client.cookies.set('console_session', cookie);
    assert.equal((await client.get('/getting-started')).status, 401, 'the old cookie is dead after sign-out');
  });
});

describe('tokens, members and permissions', () => {
  test('rotation in the console: the old token is refused at once, no token appears in a Location', async () => {
    const client = new Client(w.app);
    const signUp = await client.signUp('rotate@x.test');
    const old = await client.token();
    await client.get('/workspace/auth-tokens');
    const res = await client.post('/workspace/auth-tokens/rotate');
    // Post/redirect/get: the address stays the page's, and a reload rotates nothing.
    assert.equal(res.status, 303);
    assert.equal(res.location, '/workspace/auth-tokens?done=rotated');
    const shown = await client.get(res.location!);
    assert.equal(shown.status, 200);
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.match(shown.body, /Your auth token was rotated/);
    const fresh = await client.token();
    assert.notEqual(fresh, old);
    assert.ok(fresh.startsWith('ls-'));
    assert.equal((await activate(old)).statusCode, 401);
    assert.equal((await activate(fresh)).statusCode, 200);
    assert.equal(await client.token(), fresh, 'the console keeps showing the current value');
    assert.ok(!String(signUp.location).includes('ls-'));
  });

  test('a token rotated outside the console is shown masked, with how to get a value', async () => {
    const client = new Client(w.app);
    await client.signUp('outside@x.test');
    await w.accounts.rotateMemberToken((await memberOf('outside@x.test')).m.id);
    const page = await client.get('/getting-started');
    assert.equal(await client.token(), '');
    assert.match(page.body, /never saw your token's value.*If you have none, rotate it on <a href="\/workspace\/auth-tokens">/s);
    // On Auth Tokens the way out is on the page itself: no link to the page it is on.
    const tokens = await client.get('/workspace/auth-tokens');
    assert.match(tokens.body, /If you have none, rotate it below/);
    assert.doesNotMatch(tokens.body, /class="hint">[^<]*<a href="\/workspace\/auth-tokens"/);
  });

  test('CI tokens: created once-shown, duplicate names refused in words; a plain member is told why not and cannot post', async () => {
    const owner = new Client(w.app);
    await owner.signUp('ci-owner@x.test');
    await owner.get('/workspace/auth-tokens');
    const made = await owner.post('/workspace/ci-tokens', { name: 'github' });
    const ci = /id="fresh-value">([^<]+)</.exec(made.body)![1];
    assert.match(ci, /^lsci-/);
    const list = await owner.get('/workspace/auth-tokens');
    assert.ok(!list.body.includes(ci), 'listed masked');
    const dup = await owner.post('/workspace/ci-tokens', { name: 'github' });
    assert.equal(dup.status, 409);
    assert.match(alertOf(dup.body), /A CI token named github exists already/);

    // The owner invites a plain member, who accepts.
    await owner.get('/workspace/members');
    const invited = await owner.post('/workspace/members', { email: 'plain@x.test', role: 'member' });
    const code = /accept-invitation#([A-Za-z0-9_-]+)/.exec(invited.body)![1];
    const member = new Client(w.app);
    await member.get('/accept-invitation');
    assert.equal((await member.post('/accept-invitation', { code, password: 'member password 1' })).location, '/getting-started');
    const page = await member.get('/workspace/auth-tokens');
    assert.match(page.body, /Your role \(member\) cannot see or manage CI tokens/);
    assert.doesNotMatch(page.body, /Create CI token/);
    const wsId = (await memberOf('plain@x.test')).ws.id;
    const before = (await w.store.ciTokens(wsId)).length;
    const denied = await member.post('/workspace/ci-tokens', { name: 'sneaky' });
    assert.equal(denied.status, 403);
    assert.match(denied.body, /You do not have permission/);
    assert.equal((await w.store.ciTokens(wsId)).length, before);
    const invite = await member.post('/workspace/members', { email: 'x@x.test', role: 'admin' });
    assert.equal(invite.status, 403);
  });

  test('seats: the last one is assigned, the next is 409 in words; another workspace’s member is not found', async () => {
    const owner = new Client(w.app);
    await owner.signUp('seats@x.test');
    const { ws } = await memberOf('seats@x.test');
    await w.accounts.setLicense(ws.id, { type: 'subscription', plan: 'pro', seats: 1, expiresAt: '2099-01-01T00:00:00Z' });
    const a = (await w.accounts.addMember(ws.id, { email: 'a@x.test', role: 'member' })).member;
    const b = (await w.accounts.addMember(ws.id, { email: 'b@x.test', role: 'member' })).member;
    await owner.get('/workspace/members');
    const ok = await owner.post(`/workspace/members/${a.id}/seat`, { licensed: 'true' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /1 of 1 seat assigned — none left/);
    const refused = await owner.post(`/workspace/members/${b.id}/seat`, { licensed: 'true' });
    assert.equal(refused.status, 409);
    assert.match(alertOf(refused.body), /No seat left for b@x\.test: all 1 seats of your license are assigned/);
    assert.equal((await w.store.member(b.id))!.licensed, 0);

    const stranger = new Client(w.app);
    await stranger.signUp('stranger@x.test');
    await stranger.get('/workspace/members');
    const cross = await stranger.post(`/workspace/members/${a.id}/seat`, { licensed: 'false' });
    assert.equal(cross.status, 404);
    assert.equal((await w.store.member(a.id))!.licensed, 1, 'untouched');
  });

  test('My License says in words when there is no seat, and when the license has ended', async () => {
    const owner = new Client(w.app);
    await owner.signUp('ended@x.test');
    const { ws, m } = await memberOf('ended@x.test');
    await w.accounts.setLicense(ws.id, { type: 'subscription', plan: 'pro', seats: 1, startsAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' });
    const page = await owner.get('/workspace/my-license');
    assert.match(page.body, /EXPIRED/);
    assert.match(alertOf(page.body), /ended on 2026-01-01/);
    assert.match(page.body, /You hold no seat/);
    await w.accounts.setSeat(m.id, true);
    await w.accounts.setLicense(ws.id, { type: 'subscription', plan: 'pro', seats: 1, startsAt: '2025-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' });
    const ok = await owner.get('/workspace/my-license');
    assert.equal(alertOf(ok.body), '');
    assert.match(ok.body, /You hold a seat/);
  });

  test('roles: nobody changes their own; only an owner makes an owner', async () => {
    const owner = new Client(w.app);
    await owner.signUp('roles@x.test');
    const me = (await memberOf('roles@x.test')).m;
    await owner.get('/workspace/members');
    const invited = await owner.post('/workspace/members', { email: 'adm@x.test', role: 'admin' });
    const code = /accept-invitation#([A-Za-z0-9_-]+)/.exec(invited.body)![1];
    const admin = new Client(w.app);
    await admin.get('/accept-invitation');
    await admin.post('/accept-invitation', { code, password: 'admin password 1' });
    await admin.get('/workspace/members');
    const demote = await admin.post(`/workspace/members/${me.id}/role`, { role: 'member' });
    assert.equal(demote.status, 403);
    assert.match(demote.body, /only an owner/);
    const self = await owner.post(`/workspace/members/${me.id}/role`, { role: 'admin' });
    assert.equal(self.status, 403);
    assert.equal((await w.store.member(me.id))!.role, 'owner');
  });
});

describe('invitations', () => {
  const adminPost = (url: string, token?: string) => w.app.inject({ method: 'POST', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('an invited member whose token is already in use keeps it: accepting breaks nothing, the page says why the value is not shown', async () => {
    const ws = await w.accounts.createWorkspace({ name: 'In use' }, w.now());
    const { member, authToken } = await w.accounts.addMember(ws.id, { email: 'inuse@x.test', role: 'member' });
    assert.equal((await activate(authToken)).statusCode, 200, 'used before the member ever signs in');
    const code = new URL((await adminPost(`/admin/v1/members/${member.id}/invitation`, ADMIN)).json().link).hash.slice(1);
    const c = new Client(w.app);
    await c.get('/accept-invitation');
    assert.equal((await c.post('/accept-invitation', { code, password: 'in use password 1' })).location, '/getting-started');
    assert.equal(await c.token(), '', 'the console never saw it');
    assert.equal((await activate(authToken)).statusCode, 200, 'the token in use still works');
    assert.match((await c.get('/getting-started')).body, /never saw your token's value.*and it has been used, so it was kept/s);
  });

  test('the admin API makes a one-time link for a seeded member; it works once, and not after 72 hours', async () => {
    const ws = await w.accounts.createWorkspace({ name: 'Seeded' }, w.now());
    const m = (await w.accounts.addMember(ws.id, { email: 'seeded@x.test', role: 'member' })).member;
    const m2 = (await w.accounts.addMember(ws.id, { email: 'late@x.test', role: 'member' })).member;
    assert.equal((await adminPost(`/admin/v1/members/${m.id}/invitation`)).statusCode, 401);
    assert.equal((await adminPost(`/admin/v1/members/${m.id}/invitation`, 'wrong')).json().error.code, 'auth.invalid');
    assert.equal((await adminPost('/admin/v1/members/nobody/invitation', ADMIN)).statusCode, 404);
    const res = await adminPost(`/admin/v1/members/${m.id}/invitation`, ADMIN);
    assert.equal(res.statusCode, 201);
    const { link, email } = res.json();
    assert.equal(email, 'seeded@x.test');
    const code = new URL(link).hash.slice(1);
    assert.equal(new URL(link).pathname, '/accept-invitation');
    const c = new Client(w.app);
    await c.get('/accept-invitation');
    assert.equal((await c.post('/accept-invitation', { code, password: 'short' })).status, 400, 'a short password keeps the link usable');
    assert.equal((await c.post('/accept-invitation', { code: link, password: 'seeded password 1' })).location, '/getting-started', 'the whole link pasted works too');
    // Nothing had activated with the seeded token: a new one was issued at acceptance, which the member sees (no rotation).
    const shownToken = await c.token();
    assert.ok(shownToken.startsWith('ls-'), 'the new member sees a token');
    assert.equal((await activate(shownToken)).statusCode, 200);
    const page = await c.get('/getting-started');
    assert.doesNotMatch(page.body, /never saw your token's value/);
    const again = new Client(w.app);
    await again.get('/accept-invitation');
    const second = await again.post('/accept-invitation', { code, password: 'another password 1' });
    assert.equal(second.status, 410);
    assert.match(second.body, /unknown, used already or expired/);

    const late = new URL((await adminPost(`/admin/v1/members/${m2.id}/invitation`, ADMIN)).json().link).hash.slice(1);
    w.advance(72 * HOUR + 1000);
    await again.get('/accept-invitation');
    assert.equal((await again.post('/accept-invitation', { code: late, password: 'late password 12' })).status, 410);
  });

  test('without ADMIN_TOKEN the invitation endpoint is disabled like the rest of the admin API', async () => {
    const off = await world({ adminToken: null });
    try {
      const res = await off.app.inject({ method: 'POST', url: '/admin/v1/members/x/invitation', headers: { authorization: 'Bearer x' } });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'admin.disabled');
    } finally {
      await off.close();
    }
  });
});
