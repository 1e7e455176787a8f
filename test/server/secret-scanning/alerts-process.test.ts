// The whole loop with real parts: a scanner with its own ECDSA key, its key document over HTTPS (private CA),
// the real license server process, and the real entrypoint started with the leaked token.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateToken } from '../../../src/core/credentials.ts';
import { assertNoSecret, baseEnv, cacheDir, childView, run, SHOW_ENV } from '../../helpers/entrypoint.ts';
import { writeJwks } from '../../helpers/keys.ts';
import { keyDocument, match, scannerKey, signedHeaders, startKeyServer, type KeyServer } from '../../helpers/scanner.ts';
import { ADMIN_TOKEN, api, fixture, runServer, startServer, tempDir, type RunningServer } from '../../helpers/server.ts';

const github = scannerKey('4fe6b016179b74078ade7581abf4e84fb398c6fae4fb973972235b84fcd70ca3');
const f = fixture();
let keyServer: KeyServer;
let server: RunningServer;
let trusted: string;
const secrets: string[] = [];

before(async () => {
  keyServer = await startKeyServer(keyDocument([github]));
  server = await startServer({
    seed: f.seed, args: ['--rate-limit', '0', '--secret-scanning-keys', keyServer.url], env: { NODE_EXTRA_CA_CERTS: keyServer.caFile, LOG_LEVEL: 'info' },
  });
  trusted = writeJwks(tempDir(), (await api(server, 'GET', '/.well-known/jwks.json')).json.keys);
});
after(async () => {
  await server?.stop();
  await keyServer?.close();
});

const alert = (body: string, headers: Record<string, string>) => api(server, 'POST', '/v1/secret-scanning/alerts', { raw: body, headers });
const entrypoint = (token: string, extra: Record<string, string> = {}) => run(SHOW_ENV, baseEnv({
  API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', LOCALSTACK_AUTH_TOKEN: token, ...extra,
}));

test('forged key ids are refused and fetch the key document once, not once per alert', async () => {
  const body = JSON.stringify([match(f.member)]);
  for (let i = 0; i < 20; i++) {
    const forged = scannerKey(`forged-${i}`);
    const res = await alert(body, signedHeaders(body, forged));
    assert.equal(res.status, 401);
  }
  assert.equal(keyServer.fetches(), 1, 'one fetch (the first), then the refresh interval bounds it');
  // The document fetched over HTTPS (private CA) holds GitHub's key, so a real alert verifies without another fetch.
  const ok = await alert(JSON.stringify([match(generateToken('developer'))]), signedHeaders(JSON.stringify([match(generateToken('developer'))]), github));
  assert.equal(ok.status, 401, 'signed over another body');
  assert.equal(keyServer.fetches(), 1);
});

test('a leaked developer token: the entrypoint exits 55 with the credentials.leaked banner; the rotated token works', async () => {
  const place = 'https://github.com/acme/app/blob/0123abc/config/.env.production?plain=1#L4';
  const body = JSON.stringify([match(f.member, place)]);
  const res = await alert(body, signedHeaders(body, github));
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, [{ token_raw: f.member, token_type: 'localstack_auth_token', label: 'true_positive' }]);

  const refused = await entrypoint(f.member);
  assert.equal(refused.code, 55, refused.stderr);
  assert.match(refused.stderr, /License activation failed!/);
  assert.match(refused.stderr, /Reason: This auth token \(ls-.{4}…\) was found in public at github\.com\/acme\/app\/blob\/0123abc\/config\/\.env\.production on \d{4}-\d{2}-\d{2} and has been revoked/);
  assert.match(refused.stderr, /Set LOCALSTACK_AUTH_TOKEN to the new value from https:\/\/app\.localstack\.cloud\/workspace\/auth-tokens/);
  assert.ok(!refused.stderr.includes('plain=1'), 'no query of the URL');
  assertNoSecret(refused.stdout + refused.stderr, [f.member]);
  const json = await entrypoint(f.member, { LOG_FORMAT: 'json' });
  assert.equal(json.code, 55);
  assert.ok(json.stderr.split('\n').some((line) => line.includes('"code":"credentials.leaked"')), json.stderr);

  const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
  const member = ws.members.find((m: { email: string }) => m.email === 'dev@acme.test');
  const fresh = (await api(server, 'POST', `/admin/v1/members/${member.id}/auth-token/rotate`, { token: ADMIN_TOKEN })).json.authToken as string;
  const works = await entrypoint(fresh);
  assert.equal(works.code, 0, works.stderr);
  assert.equal(childView(works).pro, '1');

  // Replayed: the same answer, and the new token still works.
  const replay = await alert(body, signedHeaders(body, github));
  assert.deepEqual(replay.json, res.json);
  assert.equal((await entrypoint(fresh)).code, 0);
  secrets.push(f.member, fresh);
});

test('a bad key file or a plain-HTTP key URL stops the start with one line', () => {
  const bad = join(tempDir(), 'keys.json');
  writeFileSync(bad, '{"public_keys": []}');
  for (const [location, pattern] of [[bad, /lists no ECDSA P-256 public key/], ['http://127.0.0.1:1/keys', /fetched over HTTPS only/], [join(tempDir(), 'missing.json'), /ENOENT/]] as const) {
    const r = runServer(['--data-dir', tempDir(), '--secret-scanning-keys', location]);
    assert.equal(r.status, 64, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('after it stops, the server\'s whole output (access log on) holds the alerts but no credential', async () => {
  await server.stop();
  assert.match(server.output(), /"path":"\/v1\/secret-scanning\/alerts"/);
  assert.ok(secrets.length > 0);
  assertNoSecret(server.output(), secrets);
});
