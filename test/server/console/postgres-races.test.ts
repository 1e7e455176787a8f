import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../helpers/postgres.ts';
import { api, startServer, type RunningServer } from '../../helpers/server.ts';

// Authorisation rules that depend on stored state, decided inside the writing transaction: two real replicas on one
// real PostgreSQL, requests sent at the same moment, one to each.

let pg: Postgres | undefined;
let a: RunningServer;
let b: RunningServer;
let db: string;
const ADMIN = 'races-admin-token';

before(async () => {
  pg = await startPostgres({ skip: () => undefined });
  if (!pg) return;
  const url = await pg.createDatabase();
  db = url.split('/').pop()!;
  const start = () => startServer({ args: ['--database', url, '--rate-limit', '0'], env: { LICENSE_SERVER_KEY_SECRET: KEY_SECRET, ADMIN_TOKEN: ADMIN } });
  [a, b] = await Promise.all([start(), start()]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  pg?.destroy();
});

/** One browser: its cookies and the last CSRF token it was shown. */
class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';
  async send(server: RunningServer, path: string, form?: Record<string, string>): Promise<{ status: number; body: string }> {
    const res = await fetch(`${server.url}${path}`, {
      method: form ? 'POST' : 'GET', redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: this.csrf, ...form }).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      this.cookies.set(pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1));
    }
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1];
    return { status: res.status, body };
  }
}

const rows = async (sql: string) => (await pg!.query(sql, db)).rows as { id: string; email: string; role: string; workspace_id: string }[];

/** A workspace with two owners, each signed in to the console in a browser of their own. */
async function twoOwners(n: number): Promise<{ one: Browser; two: Browser; ids: Record<string, string>; ws: string }> {
  const one = new Browser();
  await one.send(a, '/sign-up');
  assert.equal((await one.send(a, '/sign-up', { email: `one${n}@race.test`, password: 'a long enough password', workspace: `Race ${n}` })).status, 303);
  await one.send(a, '/workspace/members');
  const invited = await one.send(a, '/workspace/members', { email: `two${n}@race.test`, role: 'owner' });
  const code = /accept-invitation#([^"<\s]+)/.exec(invited.body)?.[1];
  assert.ok(code, invited.body.slice(0, 400));
  const two = new Browser();
  await two.send(b, '/accept-invitation');
  assert.equal((await two.send(b, '/accept-invitation', { code, password: 'another long password' })).status, 303);
  const members = await rows(`SELECT id, email, role, workspace_id FROM members WHERE email IN ('one${n}@race.test', 'two${n}@race.test')`);
  assert.deepEqual(members.map((m) => m.role), ['owner', 'owner']);
  await Promise.all([one.send(a, '/workspace/members'), two.send(b, '/workspace/members')]);
  return { one, two, ids: Object.fromEntries(members.map((m) => [m.email.slice(0, 3), m.id])), ws: members[0].workspace_id };
}

test('two owners demoting each other at the same moment on two replicas: one wins, the workspace keeps an owner', { timeout: 180_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  for (let n = 0; n < 5; n++) {
    const { one, two, ids, ws } = await twoOwners(n);
    const [byOne, byTwo] = await Promise.all([
      one.send(a, `/workspace/members/${ids.two}/role`, { role: 'member' }),
      two.send(b, `/workspace/members/${ids.one}/role`, { role: 'member' }),
    ]);
    const statuses = [byOne.status, byTwo.status].sort();
    assert.deepEqual(statuses, [200, 403], `one demotion wins, the other is refused (got ${statuses})`);
    const loser = byOne.status === 403 ? byOne : byTwo;
    assert.match(loser.body, /You do not have permission/);
    const owners = await rows(`SELECT id, email, role, workspace_id FROM members WHERE workspace_id = '${ws}' AND role = 'owner'`);
    assert.equal(owners.length, 1, `workspace ${ws} keeps exactly one owner`);
  }
});

test('an owner turned admin can no longer change the remaining owner, and the workspace keeps it', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const { one, two, ids, ws } = await twoOwners(100);
  assert.equal((await one.send(a, `/workspace/members/${ids.two}/role`, { role: 'admin' })).status, 200);
  const refused = await two.send(b, `/workspace/members/${ids.one}/role`, { role: 'member' });
  assert.equal(refused.status, 403, 'an admin may not change an owner');
  assert.equal((await rows(`SELECT id, email, role, workspace_id FROM members WHERE workspace_id = '${ws}' AND role = 'owner'`)).length, 1);
});

test('CI-token writes by a member whose role was lowered meanwhile are refused in the transaction (API and console)', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const { one, ids, ws } = await twoOwners(200);
  // two's developer token, through the admin API: rotating returns a fresh value for the API calls below.
  const rotated = await api(a, 'POST', `/admin/v1/members/${ids.two}/auth-token/rotate`, { token: ADMIN });
  const token = rotated.json?.authToken as string | undefined;
  if (!token) return assert.fail(`no admin rotation route: ${rotated.status} ${JSON.stringify(rotated.json)}`);
  // Demotion on A and CI-token creation on B, at once, ten times: no CI token is created by a member.
  for (let i = 0; i < 10; i++) {
    await one.send(a, '/workspace/members');
    const [demoted, created]: [{ status: number }, { status: number }] = await Promise.all([
      one.send(a, `/workspace/members/${ids.two}/role`, { role: 'member' }),
      api(b, 'POST', '/v1/ci-tokens', { token, body: { name: `race-${i}` } }),
    ]);
    assert.equal(demoted.status, 200);
    assert.ok([201, 403].includes(created.status), `${created.status}`);
    const [row] = await rows(`SELECT id, email, role, workspace_id FROM members WHERE id = '${ids.two}'`);
    const tokens = await rows(`SELECT id, name AS email, '' AS role, workspace_id FROM ci_tokens WHERE workspace_id = '${ws}' AND name = 'race-${i}'`);
    // Created only if the creation's transaction ran before the demotion's.
    if (created.status === 201) assert.equal(tokens.length, 1);
    else assert.equal(tokens.length, 0);
    assert.equal(row.role, 'member');
    // Made owner again for the next round.
    assert.equal((await one.send(a, `/workspace/members/${ids.two}/role`, { role: 'owner' })).status, 200);
  }
  // Afterwards, as a member: refused whatever the order.
  await one.send(a, `/workspace/members/${ids.two}/role`, { role: 'member' });
  assert.equal((await api(b, 'POST', '/v1/ci-tokens', { token, body: { name: 'late' } })).status, 403);
});

test('two rotations of one developer token at once: exactly one returns a working token, the other is refused', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const { ids, ws } = await twoOwners(300);
  const token = (await api(a, 'POST', `/admin/v1/members/${ids.two}/auth-token/rotate`, { token: ADMIN })).json?.authToken as string;
  assert.ok(token);
  const both = await Promise.all([api(a, 'POST', '/v1/me/auth-token/rotate', { token }), api(b, 'POST', '/v1/me/auth-token/rotate', { token })]);
  const won = both.filter((r) => r.status === 200);
  assert.equal(won.length, 1, `statuses ${both.map((r) => r.status)}`);
  assert.equal(both.find((r) => r.status !== 200)!.status, 401);
  assert.equal((await api(b, 'GET', '/v1/me', { token: won[0].json.authToken })).status, 200, 'the winner\'s token works');
});
