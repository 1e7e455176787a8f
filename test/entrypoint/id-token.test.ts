import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoSecret, baseEnv, cacheDir, childView, run, SHOW_ENV, start, waitFor, type Run } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';
import { getHealth } from '../helpers/server.ts';
import { startOidcIssuer, type OidcIssuer } from '../helpers/oidc-issuer.ts';
import { api, fixture, startServer, tempDir, ADMIN_TOKEN, type RunningServer } from '../helpers/server.ts';
import { writeJwks } from '../helpers/keys.ts';

// The real entrypoint in a simulated GitHub Actions job (and elsewhere): no stored credential, the ID token asked
// from a real HTTPS issuer, the real license server trusting that issuer.

const f = fixture();
let issuer: OidcIssuer;
let server: RunningServer;
let trusted: string;

before(async () => {
  issuer = await startOidcIssuer();
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0', '--oidc-issuer', issuer.url], env: { NODE_EXTRA_CA_CERTS: issuer.caFile } });
  trusted = writeJwks(tempDir(), (await api(server, 'GET', '/.well-known/jwks.json')).json.keys);
  const created = await api(server, 'POST', '/v1/ci-trusts', { token: f.admin, body: { name: 'app on main', issuer: issuer.url, conditions: { repository_owner_id: '42', repository: 'acme/app', ref: 'refs/heads/main' } } });
  assert.equal(created.status, 201, created.text);
});
after(async () => {
  await server?.stop();
  await issuer?.close();
});

/** A GitHub Actions job's environment: the runner's variables, no LOCALSTACK_AUTH_TOKEN. */
const github = (extra: Record<string, string | undefined> = {}) => baseEnv({
  API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5',
  CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/app', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_NAME: 'push',
  ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
  // The runner trusts GitHub's public CA; here the issuer's private one.
  NODE_EXTRA_CA_CERTS: issuer.caFile, ...extra,
});

const secrets = () => [...issuer.issued, issuer.requestToken];
function noSecrets(r: Run, cache?: string): void {
  assertNoSecret(r.stdout + r.stderr, secrets());
  if (cache) for (const file of readdirSync(cache)) assertNoSecret(readFileSync(join(cache, file), 'utf8'), secrets());
}

describe('GitHub Actions with id-token: write', () => {
  test('activates with no stored credential: asks for the ID token for the server\'s audience, a CI license, nothing secret printed or cached', async () => {
    issuer.setClaims({});
    const e = github();
    const asked = issuer.hits.get('/token') ?? 0;
    const r = await run(SHOW_ENV, e);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Successfully activated license/);
    assert.equal(childView(r).mode, 'online');
    assert.equal(issuer.hits.get('/token'), asked + 1);
    noSecrets(r, e.LICENSE_CACHE_DIR);
    const activations = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme/activations', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json.activations;
    assert.equal(activations[0].ci, true);
    assert.equal(activations[0].pipeline.repository, 'acme/app');
  });

  test('the product started by the entrypoint verifies the license against the pipeline it was activated for: Pro', async () => {
    issuer.setClaims({});
    const p = start([process.execPath, join(ROOT, 'dist/pro-emulator.js')], github({ GATEWAY_LISTEN: '127.0.0.1:0' }));
    await waitFor(() => /Listening on 127\.0\.0\.1:\d+/.test(p.output()));
    const health = await getHealth(`http://127.0.0.1:${/Listening on 127\.0\.0\.1:(\d+)/.exec(p.output())![1]}`);
    p.child.kill('SIGTERM');
    const r = await p.done;
    assert.equal(health.edition, 'pro', r.stderr);
    assert.equal(health.services.xray, 'available');
    noSecrets(r);
  });

  test('a refresh asks for a fresh ID token (each is accepted once)', async () => {
    issuer.setClaims({});
    const asked = issuer.hits.get('/token') ?? 0;
    const r = await run(['sh', '-c', 'sleep 2'], github({ LICENSE_REFRESH_INTERVAL: '0.5' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /License refreshed: .* valid offline until/);
    assert.doesNotMatch(r.stderr, /refused/);
    assert.ok((issuer.hits.get('/token') ?? 0) >= asked + 2);
    noSecrets(r);
  });

  test('another repository, another ref: refused, naming the claims compared and never the token', async () => {
    issuer.setClaims({ repository: 'acme/other', sub: 'repo:acme/other:ref:refs/heads/main' });
    const other = await run(SHOW_ENV, github());
    assert.equal(other.code, 55, other.stderr);
    assert.match(other.stderr, /Reason: No trusted CI identity of https:\/\/127\.0\.0\.1:\d+ matches this pipeline \(repository acme\/other, ref refs\/heads\/main, environment \(none\)\)\. Add a trusted CI identity for this repository and ref on /);
    noSecrets(other);
    issuer.setClaims({ ref: 'refs/heads/feature', sub: 'repo:acme/app:ref:refs/heads/feature' });
    const ref = await run(SHOW_ENV, github());
    assert.equal(ref.code, 55);
    assert.match(ref.stderr, /ref refs\/heads\/feature/);
    issuer.setClaims({});
  });

  test('LOCALSTACK_OIDC_AUDIENCE overrides the audience (a wrong one is refused in words)', async () => {
    const r = await run(SHOW_ENV, github({ LOCALSTACK_OIDC_AUDIENCE: 'https://elsewhere.example' }));
    assert.equal(r.code, 55);
    assert.match(r.stderr, /Reason: The ID token is for the audience "https:\/\/elsewhere\.example", not this license server's/);
  });
});

describe('GitHub Actions without an ID token', () => {
  test('a job without id-token: write is told to add it (or to use a CI token)', async () => {
    const r = await run(SHOW_ENV, github({ ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined }));
    assert.equal(r.code, 55);
    assert.match(r.stderr, /Reason: No credentials are set, and this GitHub Actions job may not request an ID token \(ACTIONS_ID_TOKEN_REQUEST_URL is not set\)\. Add "permissions: id-token: write" to the job/);
    assert.match(r.stderr, /LOCALSTACK_AUTH_TOKEN to a CI auth token/);
  });

  test('a pull request from a fork: GitHub gives it no ID token; a CI token or ACTIVATE_PRO=0 are the ways out', async () => {
    const event = join(tempDir(), 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { head: { repo: { full_name: 'mallory/app', fork: true } }, base: { repo: { full_name: 'acme/app' } } } }));
    const r = await run(SHOW_ENV, github({ ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event }));
    assert.equal(r.code, 55);
    assert.match(r.stderr, /Reason: No credentials are set, and this job runs for a pull request from the fork mallory\/app, to which GitHub gives no ID token\. Give such jobs a CI auth token \(lsci-…\) in LOCALSTACK_AUTH_TOKEN, or run them without Pro with ACTIVATE_PRO=0\./);
    const without = await run(SHOW_ENV, github({ ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, ACTIVATE_PRO: '0' }));
    assert.equal(without.code, 0);
    assert.equal(childView(without).pro, '0');
  });
});

describe('elsewhere: LOCALSTACK_OIDC_TOKEN(_FILE)', () => {
  const elsewhere = (extra: Record<string, string>) => baseEnv({
    API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', CI: 'true', GITLAB_CI: 'true', ...extra,
  });

  test('the token from a file activates; the same token again is refused as replayed; an expired one in words', async () => {
    const token = await issuer.sign({}, { audience: server.url });
    const file = join(tempDir(), 'id-token');
    writeFileSync(file, `${token}\n`);
    const r = await run(SHOW_ENV, elsewhere({ LOCALSTACK_OIDC_TOKEN_FILE: file }));
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r.stdout + r.stderr, [token]);
    const again = await run(SHOW_ENV, elsewhere({ LOCALSTACK_OIDC_TOKEN: token }));
    assert.equal(again.code, 55);
    assert.match(again.stderr, /Reason: This ID token was used for an activation already, and each is accepted once\. Use a fresh ID token for each start/);
    assertNoSecret(again.stdout + again.stderr, [token]);
    const expired = await run(SHOW_ENV, elsewhere({ LOCALSTACK_OIDC_TOKEN: await issuer.sign({}, { audience: server.url, issuedAgoS: 900 }) }));
    assert.equal(expired.code, 55);
    assert.match(expired.stderr, /Reason: The ID token expired at /);
  });

  test('an issuer the server does not trust', async () => {
    const token = await issuer.sign({}, { audience: server.url, issuer: 'https://gitlab.example.org' });
    const r = await run(SHOW_ENV, elsewhere({ LOCALSTACK_OIDC_TOKEN: token }));
    assert.equal(r.code, 55);
    assert.match(r.stderr, /Reason: This license server does not trust ID tokens from "https:\/\/gitlab\.example\.org" \(it trusts https:\/\/token\.actions\.githubusercontent\.com, https:\/\/gitlab\.com, https:\/\/127\.0\.0\.1:\d+\)\. Ask the license server's operator to trust it/);
    assertNoSecret(r.stdout + r.stderr, [token]);
  });

  test('not an ID token at all: one line that says what to pass', async () => {
    const r = await run(SHOW_ENV, elsewhere({ LOCALSTACK_OIDC_TOKEN: 'not-a-jwt' }));
    assert.equal(r.code, 55);
    assert.match(r.stderr, /Reason: LOCALSTACK_OIDC_TOKEN does not hold an ID token .*\. Set LOCALSTACK_OIDC_TOKEN to the ID token of your CI platform, unchanged/);
  });
});
