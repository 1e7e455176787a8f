import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, api, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

// Every answer of the server is {"error": {"code", "message"}}, including those of Node's HTTP parser:
// raw bytes on a real socket to the real app, listening in this process.

const f = fixture();
let server: InProcessServer;
let port: number;

before(async () => {
  server = await startApp({ seed: f.seed });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  port = (server.app.server.address() as { port: number }).port;
});
after(async () => {
  await server.close();
});

/** Sends bytes as they are and reads the answer until the server closes or the answer is complete. */
function raw(bytes: string): Promise<{ status: number; body: string; json: { error: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const body = rest.join('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      try {
        resolve({ status, body, json: JSON.parse(body) });
      } catch {
        reject(new Error(`not JSON: ${JSON.stringify(data)}`));
      }
      socket.destroy();
    };
    socket.setTimeout(5_000, () => reject(new Error(`no answer: ${JSON.stringify(data)}`)));
    socket.on('data', (d) => {
      data += d;
      const length = /content-length: (\d+)/i.exec(data)?.[1];
      const bodyStart = data.indexOf('\r\n\r\n');
      if (length && bodyStart >= 0 && Buffer.byteLength(data.slice(bodyStart + 4)) >= Number(length)) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe("Node's HTTP layer answers in the error shape", () => {
  const cases: [string, string, number, string][] = [
    ['headers over the limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request.headers_too_large'],
    ['a bad request line', 'HELLO\r\n\r\n', 400, 'request.malformed'],
    ['a duplicate Content-Length', 'POST /v1/license/activate HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, 'request.malformed'],
    ['a bad chunk', 'POST /v1/license/activate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, 'request.malformed'],
    ['%ZZ in the URL', 'GET /v1/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'request.bad_url'],
    ['no Host header', 'GET /health HTTP/1.1\r\n\r\n', 400, 'request.missing_host'],
  ];
  for (const [name, bytes, status, code] of cases) {
    test(`${name} → ${status} ${code}`, async () => {
      const res = await raw(bytes);
      assert.equal(res.status, status, res.body);
      assert.equal(res.json.error.code, code);
      assert.equal(typeof res.json.error.message, 'string');
    });
  }
});

test('a credential in the URL is not echoed in the 404 (masked like everywhere else)', async () => {
  const res = await api(server, 'GET', `/v1/${f.ci}/x?token=${f.admin}`);
  assert.equal(res.status, 404);
  assert.ok(!res.text.includes(f.ci) && !res.text.includes(f.admin), res.text);
  assert.match(res.json.error.message, /lsci-.{4}…/);
});

describe('content types and empty bodies', () => {
  test('text/plain and form bodies get 415 like any type that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await api(server, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, raw: 'name=x', headers: { 'content-type': type } });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.error.code, 'request.unsupported_media_type');
    }
  });

  test('body-less POST and DELETE accept an empty body whatever its content type', async () => {
    const ff = fixture();
    const s = await startApp({ seed: ff.seed });
    try {
      for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
        const res = await api(s, 'POST', '/v1/me/auth-token/rotate', { token: ff.admin, raw: '', headers: { 'content-type': type } });
        assert.equal(res.status, 200, `${type}: ${res.text}`);
        ff.admin = res.json.authToken;
      }
      const ws = (await api(s, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
      const id = ws.members[0].id;
      assert.equal((await api(s, 'POST', `/admin/v1/members/${id}/legacy-key`, { token: ADMIN_TOKEN, raw: '' })).status, 201);
      assert.equal((await api(s, 'DELETE', `/admin/v1/members/${id}/legacy-key`, { token: ADMIN_TOKEN, raw: '' })).status, 204);
      assert.equal((await api(s, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN, raw: '' })).status, 200);
    } finally {
      await s.close();
    }
  });

  test('an endpoint that takes a body refuses an empty one with 400 in the error shape', async () => {
    const res = await api(server, 'POST', '/admin/v1/workspaces', { token: ADMIN_TOKEN, raw: '' });
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'request.invalid');
  });

  test('the credential is checked before the body is parsed', async () => {
    for (const [path, token] of [['/admin/v1/workspaces', 'wrong'], ['/v1/ci-tokens', 'ls-nope'], ['/v1/license/activate', undefined]] as const) {
      const res = await api(server, 'POST', path, { token, raw: '{"broken": ', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 401, `${path}: ${res.text}`);
    }
    const member = await api(server, 'POST', '/v1/ci-tokens', { token: f.member, raw: '{"broken": ' });
    assert.equal(member.status, 403, 'the role is checked before the body too');
  });
});

describe('values the store cannot hold or the code cannot compare are refused', () => {
  test('seats beyond the cap, a leap second, an unparseable date: 400, and the workspace keeps working', async () => {
    const bad = [
      { type: 'subscription', plan: 'pro', seats: 9007199254740993 },
      { type: 'subscription', plan: 'pro', seats: 1_000_001 },
      { type: 'subscription', plan: 'pro', expiresAt: '2016-12-31T23:59:60Z' },
      { type: 'subscription', plan: 'pro', startsAt: '2026-02-30T00:00:00Z' },
    ];
    for (const body of bad) {
      const res = await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { token: ADMIN_TOKEN, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'request.invalid');
    }
    const policy = await api(server, 'PUT', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN, body: { downtimes: [], sunsetAt: '2016-12-31T23:59:60Z' } });
    assert.equal(policy.status, 400);
    assert.equal((await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).status, 200);
    assert.equal((await api(server, 'GET', '/v1/me', { token: f.member })).status, 200);
  });

  test('a license that ends before it starts, a downtime that ends before it starts: 400 naming both times, nothing changed', async () => {
    const license = async () => (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json.license;
    const before = await license();
    for (const [startsAt, expiresAt] of [['2027-01-01T00:00:00Z', '2026-01-01T00:00:00Z'], ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z']]) {
      const res = await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { token: ADMIN_TOKEN, body: { type: 'subscription', plan: 'pro', startsAt, expiresAt } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.error.code, 'request.invalid');
      assert.match(res.json.error.message, /body\.expiresAt .* is not after body\.startsAt/);
    }
    assert.deepEqual(await license(), before);
    const policyBefore = (await api(server, 'GET', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN })).json;
    const downtimes = [{ start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, { start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' }];
    const res = await api(server, 'PUT', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN, body: { downtimes, sunsetAt: null } });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.error.message, /body\.downtimes\[1\] ends \(2026-03-01T00:00:00Z\) before it starts/);
    assert.deepEqual((await api(server, 'GET', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN })).json, policyBefore);
  });

  test('a trial without a plan is accepted (it has every Pro feature)', async () => {
    const res = await api(server, 'PUT', '/admin/v1/workspaces/ws-old/license', { token: ADMIN_TOKEN, body: { type: 'trial' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.type, 'trial');
    const sub = await api(server, 'PUT', '/admin/v1/workspaces/ws-old/license', { token: ADMIN_TOKEN, body: { type: 'subscription' } });
    assert.equal(sub.status, 400, 'a subscription still needs its plan');
  });
});

describe('unknown body fields are refused, never dropped (but by the activation)', () => {
  const T = { token: ADMIN_TOKEN };
  test('a typo in the admin license ("seat"): 400 naming body.seat, and the license is left as it was', async () => {
    const before = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json.license;
    const res = await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { ...T, body: { type: 'subscription', seat: 2, startAt: '2026-01-01T00:00:00Z' } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.error.code, 'request.invalid');
    assert.match(res.json.error.message, /body\.seat is not a known field/);
    assert.deepEqual((await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json.license, before);
  });

  test('every route with a body: one extra field, including a nested one, is named in the 400', async () => {
    const member = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json.members[0].id;
    const cases: [string, string, unknown, string?][] = [
      ['POST', '/admin/v1/workspaces', { id: 'ws-extra', name: 'X' }],
      ['POST', '/admin/v1/workspaces/ws-acme/members', { email: 'x@acme.test', role: 'member' }],
      ['PUT', `/admin/v1/members/${member}/seat`, { licensed: true }],
      ['PUT', `/admin/v1/members/${member}/role`, { role: 'admin' }],
      ['POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { name: 'extra' }],
      ['PUT', '/admin/v1/workspaces/ws-acme/license', { type: 'trial' }],
      ['PUT', '/admin/v1/legacy-policy', { downtimes: [], sunsetAt: null }],
      ['POST', '/v1/ci-tokens', { name: 'extra' }, f.admin],
    ];
    // The activation alone tolerates unknown fields (app.test.ts): a newer entrypoint must still activate.
    for (const [method, path, body, token] of cases) {
      const res = await api(server, method, path, { token: token ?? ADMIN_TOKEN, body: { ...(body as object), bogusField: 1 } });
      assert.equal(res.status, 400, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.message, 'invalid request: body.bogusField is not a known field; remove it or correct its name', `${method} ${path}`);
    }
    const nested = await api(server, 'PUT', '/admin/v1/legacy-policy', { ...T, body: { downtimes: [{ start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', note: 'x' }], sunsetAt: null } });
    assert.equal(nested.status, 400);
    assert.match(nested.json.error.message, /body\.downtimes\[0\]\.note is not a known field/);
    assert.equal((await api(server, 'GET', '/admin/v1/workspaces/ws-extra', T)).status, 404, 'nothing was created');
    assert.equal((await api(server, 'GET', '/admin/v1/legacy-policy', T)).json.downtimes.length, 0, 'nothing was stored');
  });

  test('an endpoint that takes no body refuses fields in one, and still accepts {} and none', async () => {
    const res = await api(server, 'POST', '/admin/v1/signing-keys/rotate', { token: ADMIN_TOKEN, body: { kid: 'mine' } });
    assert.equal(res.status, 400);
    assert.match(res.json.error.message, /body\.kid is not a known field; this endpoint takes no body/);
    const me = await api(server, 'POST', '/v1/me/auth-token/rotate', { token: f.unlicensed, body: [1] });
    assert.equal(me.status, 400, 'the token was not rotated');
    assert.equal((await api(server, 'GET', '/v1/me', { token: f.unlicensed })).status, 200);
    assert.equal((await api(server, 'GET', '/admin/v1/workspaces', { token: ADMIN_TOKEN, body: {} })).status, 200);
  });
});

describe('messages built from request input mask credential-shaped text', () => {
  const token = 'ls-Xx23y9ze-ubpx-KqOj-6ZzI-PtCuc5G6627a';
  test('in a path parameter, a field name and a 409 name', async () => {
    const T = { token: ADMIN_TOKEN };
    const answers = [
      await api(server, 'GET', `/admin/v1/workspaces/${token}`, T),
      await api(server, 'GET', `/admin/v1/workspaces/${token}/activations`, T),
      await api(server, 'PUT', `/admin/v1/members/${token}/seat`, { ...T, body: { licensed: true } }),
      await api(server, 'POST', `/admin/v1/workspaces/ws-acme/ci-tokens/${token}/rotate`, T),
      await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { ...T, body: { type: 'trial', [token]: 1 } }),
    ];
    await api(server, 'POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { ...T, body: { name: token } });
    answers.push(await api(server, 'POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { ...T, body: { name: token } }));
    assert.deepEqual(answers.map((a) => a.status), [404, 404, 404, 404, 400, 409]);
    for (const a of answers) {
      assert.ok(!a.text.includes(token), a.text);
      assert.match(a.json.error.message, /ls-Xx23…/, 'the masked form says which value was meant');
    }
  });
});

test('a legacy-key-shaped path parameter is masked in the message too', async () => {
  const key = 'AbCdEfGh12';
  const res = await api(server, 'PUT', `/admin/v1/members/${key}/seat`, { token: ADMIN_TOKEN, body: { licensed: true } });
  assert.equal(res.status, 404);
  assert.ok(!res.text.includes(key), res.text);
  assert.match(res.json.error.message, /Ab…/);
});
