import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { generateToken } from '../../../src/core/credentials.ts';
import { parseKeyDocument, ScannerKeys } from '../../../src/server/secret-scanning/keys.ts';
import { SECRET_SCANNING } from '../../../src/server/constants.ts';
import { keyDocument, match, scannerKey, signedHeaders } from '../../helpers/scanner.ts';
import { activateVia, ADMIN_TOKEN, api, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

const github = scannerKey('github-key-1');
const older = scannerKey('github-key-0');
const stranger = scannerKey('stranger');
const servers: InProcessServer[] = [];
after(async () => { await Promise.all(servers.map((s) => s.close())); });

/** The real app on a real store, its scanner keys from GitHub's document shape (as a file gives them). */
async function appWithScanner(engine: string, seed: unknown) {
  const saved = process.env.TEST_STORE;
  process.env.TEST_STORE = engine;
  try {
    const scannerKeys = new ScannerKeys({ load: async () => keyDocument([github, older]), initial: parseKeyDocument(keyDocument([github, older])), nowMs: () => Date.now() });
    const server = await startApp({ seed, scannerKeys });
    servers.push(server);
    return server;
  } finally {
    if (saved === undefined) delete process.env.TEST_STORE;
    else process.env.TEST_STORE = saved;
  }
}

const post = (server: InProcessServer, body: string, headers: Record<string, string>) =>
  api(server, 'POST', '/v1/secret-scanning/alerts', { raw: body, headers });
const admin = (server: InProcessServer, method: string, path: string) => api(server, method, `/admin/v1${path}`, { token: ADMIN_TOKEN });

test('without --secret-scanning-keys the endpoint does not exist (404)', async () => {
  const server = await startApp({ seed: fixture().seed });
  servers.push(server);
  const body = JSON.stringify([match(generateToken('developer'))]);
  const res = await post(server, body, signedHeaders(body, github));
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'request.not_found');
});

for (const engine of ['sqlite', 'postgres']) {
  test(`${engine}: forged, unknown-key, other-body and unsigned alerts are 401 and change nothing`, async () => {
    const f = fixture();
    const server = await appWithScanner(engine, f.seed);
    const body = JSON.stringify([match(f.member), match(f.ci)]);
    const other = JSON.stringify([match(f.admin)]);
    const attempts: [string, Record<string, string>][] = [
      ['no headers', { 'content-type': 'application/json' }],
      ['unknown key id', signedHeaders(body, stranger)],
      ['stranger\'s key under GitHub\'s id', signedHeaders(body, stranger, github.id)],
      ['signature over another body', signedHeaders(other, github)],
      ['signature not base64 DER', { ...signedHeaders(body, github), 'github-public-key-signature': 'AAAAAAAAAAAAAAAA' }],
    ];
    for (const [what, headers] of attempts) {
      const res = await post(server, body, headers);
      assert.equal(res.status, 401, what);
      assert.equal(res.json.error.code, 'secret_scanning.signature_invalid', what);
    }
    // The body bytes are what is signed: the same JSON re-spaced does not verify.
    const respaced = JSON.stringify(JSON.parse(body), null, 1);
    assert.equal((await post(server, respaced, signedHeaders(body, github))).status, 401);
    for (const token of [f.member, f.ci, f.admin]) assert.equal((await activateVia(server, token, token === f.ci ? { ci: true } : {})).status, 200);
    assert.deepEqual((await admin(server, 'GET', '/secret-scanning/alerts')).json.alerts, []);
  });

  test(`${engine}: a signed alert revokes live tokens, answers GitHub's feedback, and later activations are refused as leaked`, async () => {
    const f = fixture();
    const server = await appWithScanner(engine, f.seed);
    const rotatedBefore = f.admin;
    const adminMember = (await admin(server, 'GET', '/workspaces/ws-acme')).json.members.find((m: { email: string }) => m.email === 'admin@acme.test');
    const adminNow = (await admin(server, 'POST', `/members/${adminMember.id}/auth-token/rotate`)).json.authToken as string;
    const lookAlike = `${f.unlicensed.slice(0, -1)}${f.unlicensed.at(-1) === 'a' ? 'b' : 'a'}`;
    const unknown = generateToken('developer');
    const hostileUrl = `https://github.com/acme/app/blob/main/\u001b[31m${f.member}.env?token=${f.member}#L3`;
    const matches = [
      match(f.member, hostileUrl), match(f.ci, 'https://gist.github.com/someone/abc123'), match(f.legacy, 'https://github.com/acme/app/blob/main/old.sh', 'localstack_legacy_key'),
      match(lookAlike), match(unknown), match(rotatedBefore), match('not a token at all'),
    ];
    const body = JSON.stringify(matches);
    const first = await post(server, body, signedHeaders(body, older));
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json, matches.map((m, i) => ({ token_raw: m.token, token_type: m.type, label: i < 3 ? 'true_positive' : 'false_positive' })));

    // Each revoked credential is refused with its own code, saying where it was found (masked, no control bytes).
    const dev = await activateVia(server, f.member);
    assert.equal(dev.status, 401);
    assert.equal(dev.json.error.code, 'licensing.credentials.leaked');
    assert.match(dev.json.error.message, /^this auth token \(ls-.{4}…\) was found in public at github\.com\/acme\/app\/blob\/main\/.*\.env on \d{4}-\d{2}-\d{2} and has been revoked/);
    assert.ok(!dev.text.includes(f.member) && !dev.text.includes('\u001b') && !dev.text.includes('token='), dev.text);
    const ci = await activateVia(server, f.ci, { ci: true });
    assert.equal(ci.json.error.code, 'licensing.credentials.leaked');
    assert.match(ci.json.error.message, /CI auth token .* gist\.github\.com\/someone\/abc123 .* deleted/);
    assert.equal((await activateVia(server, f.legacy)).json.error.code, 'licensing.credentials.leaked');
    // What was rotated away before the alert, and what was never ours, stay plainly invalid; the admin's current token works.
    assert.equal((await activateVia(server, rotatedBefore)).json.error.code, 'licensing.credentials.invalid');
    assert.equal((await activateVia(server, lookAlike)).json.error.code, 'licensing.credentials.format');
    assert.equal((await activateVia(server, adminNow)).status, 200);
    const ws = (await admin(server, 'GET', '/workspaces/ws-acme')).json;
    assert.deepEqual(ws.ciTokens, [], 'the leaked CI token is deleted');
    assert.equal(ws.members.find((m: { email: string }) => m.email === 'dev@acme.test').legacyApiKey, false);

    // The member gets a new working value by rotating; a replay of the alert answers the same and revokes nothing more.
    const dev2 = ws.members.find((m: { email: string }) => m.email === 'dev@acme.test');
    const fresh = (await admin(server, 'POST', `/members/${dev2.id}/auth-token/rotate`)).json.authToken as string;
    const replay = await post(server, body, signedHeaders(body, older));
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.json, first.json);
    assert.equal((await activateVia(server, fresh)).status, 200);

    // The audit: two alerts, with key id, counts and labels, and no credential in it.
    const audit = await admin(server, 'GET', '/secret-scanning/alerts');
    assert.equal(audit.json.alerts.length, 2);
    for (const a of audit.json.alerts) {
      assert.equal(a.keyId, older.id);
      assert.deepEqual([a.tokens, a.truePositives, a.falsePositives], [7, 3, 4]);
      assert.deepEqual(a.labels.map((l: { label: string }) => l.label), first.json.map((l: { label: string }) => l.label));
    }
    for (const secret of [f.member, f.ci, f.legacy, unknown, lookAlike, rotatedBefore]) assert.ok(!audit.text.includes(secret), 'no credential in the audit');
  });
}

test('malformed alerts, correctly signed, are refused with one clear line and change nothing', async () => {
  const f = fixture();
  const server = await appWithScanner('sqlite', f.seed);
  const cases: [string, string, number, string][] = [
    ['not JSON', '[{"token": ', 400, 'request.malformed_json'],
    ['an object, not an array', JSON.stringify(match(f.member)), 400, 'request.invalid'],
    ['a token that is not a string', JSON.stringify([{ token: 42, type: 'x', url: '', source: '' }]), 400, 'request.invalid'],
    ['a url too long', JSON.stringify([match(f.member, `https://github.com/${'a'.repeat(3000)}`)]), 400, 'request.invalid'],
    ['too many tokens', JSON.stringify(Array.from({ length: SECRET_SCANNING.tokensPerAlert + 1 }, () => match(f.member))), 413, 'secret_scanning.too_many_tokens'],
  ];
  for (const [what, body, status, code] of cases) {
    const res = await post(server, body, signedHeaders(body, github));
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.json.error.code, code, what);
    assert.ok(!res.text.includes(f.member), what);
  }
  const huge = JSON.stringify([{ ...match(f.member), source: 'x'.repeat(SECRET_SCANNING.bodyBytes) }]);
  assert.equal((await post(server, huge, signedHeaders(huge, github))).status, 413);
  const form = await post(server, 'a=b', { ...signedHeaders('a=b', github), 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 415);
  assert.equal((await activateVia(server, f.member)).status, 200);
  assert.deepEqual((await admin(server, 'GET', '/secret-scanning/alerts')).json.alerts, []);
});

test('a charset parameter on the content type is accepted; an empty signed body is a 401 (no signature fits it) or 400', async () => {
  const f = fixture();
  const server = await appWithScanner('sqlite', f.seed);
  const body = JSON.stringify([match(f.member)]);
  const res = await post(server, body, { ...signedHeaders(body, github), 'content-type': 'application/json; charset=utf-8' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json[0].label, 'true_positive');
  const empty = await post(server, '', signedHeaders(body, github));
  assert.equal(empty.status, 401);
  const signedEmpty = await post(server, '', signedHeaders('', github));
  assert.equal(signedEmpty.status, 400);
  assert.equal(signedEmpty.json.error.code, 'request.malformed_json');
});

test('the same token twice in one alert is revoked once; both entries are true positives', async () => {
  const f = fixture();
  const server = await appWithScanner('sqlite', f.seed);
  const body = JSON.stringify([match(f.member), match(f.member, 'https://github.com/other/repo/blob/x/y')]);
  const res = await post(server, body, signedHeaders(body, github));
  assert.deepEqual(res.json.map((l: { label: string }) => l.label), ['true_positive', 'true_positive']);
  const refused = await activateVia(server, f.member);
  assert.match(refused.json.error.message, /github\.com\/acme\/app\/blob\/main\/\.env/, 'the first place found is kept');
});

test('a flood from one address is 429 with Retry-After once over the per-minute bound, before any signature work', async () => {
  const f = fixture();
  const server = await appWithScanner('sqlite', f.seed);
  const body = JSON.stringify([match(f.member)]);
  const forged = signedHeaders(body, stranger);
  const statuses: number[] = [];
  for (let i = 0; i < SECRET_SCANNING.alertsPerMinute; i++) statuses.push((await post(server, body, forged)).status);
  assert.deepEqual(new Set(statuses), new Set([401]));
  const over = await post(server, body, signedHeaders(body, github));
  assert.equal(over.status, 429);
  assert.equal(over.json.error.code, 'secret_scanning.rate_limited');
  assert.match(over.headers.get('retry-after') ?? '', /^\d+$/);
  assert.equal((await activateVia(server, f.member)).status, 200, 'the refused alert changed nothing');
});
