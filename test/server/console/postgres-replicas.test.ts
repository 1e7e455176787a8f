import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { baseEnv, cacheDir, run, SHOW_ENV } from '../../helpers/entrypoint.ts';
import { writeJwks } from '../../helpers/keys.ts';
import { KEY_SECRET, postgresMissing, startPostgres, type Postgres } from '../../helpers/postgres.ts';
import { api, startServer, tempDir, type RunningServer } from '../../helpers/server.ts';

// Two real license-server processes on one real PostgreSQL behind an imagined load balancer: one browser
// (one cookie jar) whose requests land on either replica.

let pg: Postgres | undefined;
let a: RunningServer;
let b: RunningServer;
let dbName: string;

before(async () => {
  // Where PostgreSQL is missing each test skips saying so; on CI startPostgres fails instead.
  pg = await startPostgres({ skip: () => undefined });
  if (!pg) return;
  const url = await pg.createDatabase();
  dbName = url.split('/').pop()!;
  const start = () => startServer({ args: ['--database', url, '--rate-limit', '0'], env: { LICENSE_SERVER_KEY_SECRET: KEY_SECRET } });
  [a, b] = await Promise.all([start(), start()]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  pg?.destroy();
});

interface Page { status: number; body: string; location: string | null; retryAfter: string | null }

/** A browser's cookie jar and last CSRF token, whichever replica answers. */
class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';

  async send(server: RunningServer, method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Page> {
    const res = await fetch(`${server.url}${path}`, {
      method, redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: this.csrf, ...form }).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || attrs.some((x) => /max-age=0|expires=Thu, 01 Jan 1970/i.test(x))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1];
    return { status: res.status, body, location: res.headers.get('location'), retryAfter: res.headers.get('retry-after') };
  }
  get(server: RunningServer, path: string) { return this.send(server, 'GET', path); }
  post(server: RunningServer, path: string, form: Record<string, string> = {}) { return this.send(server, 'POST', path, form); }
}

const tokenOn = (page: Page) => /id="auth-token" class="value">([^<]+)</.exec(page.body)?.[1] ?? '';

/** The real entrypoint activating against one replica; the trusted keys are the replicas' shared JWKS. */
async function activate(server: RunningServer, token: string) {
  const jwks = (await api(server, 'GET', '/.well-known/jwks.json')).json;
  const env = baseEnv({
    API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), jwks.keys), LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', LOCALSTACK_AUTH_TOKEN: token,
  });
  return run(SHOW_ENV, env);
}

test('two replicas: sign up on A, the session works on B, a token rotated on B is refused by the entrypoint on A, sign-out on one ends the session on both', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const browser = new Browser();
  await browser.get(a, '/sign-up');
  const signUp = await browser.post(a, '/sign-up', { email: 'replicas@x.test', password: 'a long enough password', workspace: 'Replicas' });
  assert.equal(signUp.status, 303, signUp.body);
  assert.ok(browser.cookies.has('console_session'));

  // B never saw this sign-up: the session, and the token sealed under it, come from PostgreSQL.
  const gettingStarted = await browser.get(b, '/getting-started');
  assert.equal(gettingStarted.status, 200);
  assert.match(gettingStarted.body, /replicas@x\.test/);
  const old = tokenOn(gettingStarted);
  assert.match(old, /^ls-/);
  const first = await activate(a, old);
  assert.equal(first.code, 0, first.stderr);

  // The form came from A, the rotation is posted to B: the CSRF secret lives in the browser's cookie, not in a replica.
  await browser.get(a, '/workspace/auth-tokens');
  const rotated = await browser.post(b, '/workspace/auth-tokens/rotate');
  assert.equal(rotated.status, 303, rotated.body);
  const fresh = tokenOn(await browser.get(a, rotated.location!));
  assert.notEqual(fresh, old);
  const refused = await activate(a, old);
  assert.equal(refused.code, 55, 'the old token is refused on A at once');
  assert.match(refused.stderr, /The credentials defined in your environment are invalid/);
  assert.ok(!refused.stderr.includes(old), 'the refused token is not printed');
  const renewed = await activate(a, fresh);
  assert.equal(renewed.code, 0, renewed.stderr);
  assert.equal(tokenOn(await browser.get(a, '/getting-started')), fresh, 'A shows the value rotated on B');

  // Sign out on B; the same cookie, replayed to A, finds no session there either.
  const cookie = browser.cookies.get('console_session')!;
  assert.equal((await browser.post(b, '/sign-out')).status, 303);
  assert.equal(browser.cookies.has('console_session'), false);
  browser.cookies.set('console_session', cookie);
  const ended = await browser.get(a, '/getting-started');
  assert.equal(ended.status, 401);
  assert.match(ended.body, /Your session has expired/);
  assert.ok(!ended.body.includes(fresh));

  // Signing in again on A gives a session B serves.
  await browser.get(a, '/sign-in');
  assert.equal((await browser.post(a, '/sign-in', { email: 'replicas@x.test', password: 'a long enough password' })).status, 303);
  assert.equal((await browser.get(b, '/workspace/my-license')).status, 200);
});

test('sign-in attempts are counted across replicas: guesses spread over A and B still hit the per-email limit', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const owner = new Browser();
  await owner.get(b, '/sign-up');
  assert.equal((await owner.post(b, '/sign-up', { email: 'guessed@x.test', password: 'the right password 1' })).status, 303);
  const guesser = new Browser();
  const answers: number[] = [];
  // 10 a minute per email (CONSOLE.signInPerEmail); the 11th, whichever replica gets it, waits.
  for (let i = 0; i < 11; i++) {
    const server = i % 2 === 0 ? a : b;
    await guesser.get(server, '/sign-in');
    answers.push((await guesser.post(server, '/sign-in', { email: 'guessed@x.test', password: `wrong guess ${i}` })).status);
  }
  assert.deepEqual(answers.slice(0, 10), Array(10).fill(401));
  assert.equal(answers[10], 429);
  await guesser.get(a, '/sign-in');
  const right = await guesser.post(a, '/sign-in', { email: 'guessed@x.test', password: 'the right password 1' });
  assert.equal(right.status, 429, 'even the right password waits once the limit is hit');
});

test('PostgreSQL stopped: the console answers a clear 503 page with Retry-After, saves nothing, and works again once it is back', { timeout: 120_000 }, async (t) => {
  if (!pg) return t.skip(postgresMissing());
  const browser = new Browser();
  await browser.get(a, '/sign-up');
  pg.stop();
  let down: Page;
  try {
    down = await browser.post(a, '/sign-up', { email: 'outage@x.test', password: 'a long enough password' });
  } finally {
    pg.start();
  }
  assert.equal(down.status, 503, down.body);
  assert.ok(Number(down.retryAfter) > 0, 'Retry-After');
  assert.match(down.body, /Nothing was saved/);
  assert.equal(browser.cookies.has('console_session'), false);
  // The pool reconnects by itself; the same form works on the other replica once PostgreSQL is back.
  let again: Page | undefined;
  for (let i = 0; i < 50 && again?.status !== 303; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    await browser.get(b, '/sign-up');
    again = await browser.post(b, '/sign-up', { email: 'outage@x.test', password: 'a long enough password' });
  }
  assert.equal(again!.status, 303, again!.body);
  const db = (await pg.query("SELECT count(*)::int AS n FROM console_logins WHERE email = 'outage@x.test'", dbName)).rows[0].n;
  assert.equal(db, 1, 'one login: the failed try left nothing behind');
  assert.match((await browser.get(a, '/getting-started')).body, /outage@x\.test/);
});
