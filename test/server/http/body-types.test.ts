import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, activateVia, activationBody, api, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

// A JSON body is taken as typed: "2" is not 2, "" is not null, an object is not a list of one.
const f = fixture();
const T = { token: ADMIN_TOKEN };
let server: InProcessServer;

before(async () => {
  server = await startApp({ seed: f.seed, rateLimit: 0 });
});
after(async () => {
  await server.close();
});

async function refused(method: string, path: string, body: unknown, field: string, token = ADMIN_TOKEN) {
  const res = await api(server, method, path, { token, body });
  assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
  assert.equal(res.json.error.code, 'request.invalid');
  assert.match(res.json.error.message, new RegExp(`^invalid request: ${field.replaceAll('.', '\\.').replaceAll('[', '\\[')}\\b`), res.json.error.message);
}

describe('a body field of the wrong JSON type is a 400 naming it, and nothing changes', () => {
  test('the license: seats "2", "" (which coercion made null: unlimited seats), true, [2]; a number for the plan', async () => {
    const license = async () => (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json.license;
    const before = await license();
    for (const seats of ['2', '', true, [2]]) {
      await refused('PUT', '/admin/v1/workspaces/ws-acme/license', { type: 'subscription', plan: 'pro', seats }, 'body.seats');
    }
    await refused('PUT', '/admin/v1/workspaces/ws-acme/license', { type: 'subscription', plan: 7 }, 'body.plan');
    // A field that takes several types says so: null (unlimited seats) is one of them.
    const both = await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { ...T, body: { type: 'subscription', plan: 'pro', seats: '2' } });
    assert.equal(both.json.error.message, 'invalid request: body.seats must be integer or null');
    assert.deepEqual(await license(), before);
    const ok = await api(server, 'PUT', '/admin/v1/workspaces/ws-acme/license', { ...T, body: { type: 'subscription', plan: 'pro', seats: 3 } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.seats, 3);
  });

  test('members, seats, roles, workspaces, CI tokens (admin and self-service), the legacy policy', async () => {
    const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json;
    const id = ws.members.find((m: { email: string }) => m.email === 'new@acme.test').id;
    await refused('PUT', `/admin/v1/members/${id}/seat`, { licensed: 'true' }, 'body.licensed');
    await refused('PUT', `/admin/v1/members/${id}/seat`, { licensed: 1 }, 'body.licensed');
    await refused('POST', '/admin/v1/workspaces/ws-acme/members', { email: 'x@acme.test', role: 'member', licensed: 'false' }, 'body.licensed');
    await refused('POST', '/admin/v1/workspaces', { name: 5 }, 'body.name');
    await refused('POST', '/admin/v1/workspaces/ws-acme/ci-tokens', { name: 123 }, 'body.name');
    await refused('POST', '/v1/ci-tokens', { name: false }, 'body.name', f.admin);
    await refused('PUT', '/admin/v1/legacy-policy', { downtimes: { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, sunsetAt: null }, 'body.downtimes');
    await refused('PUT', '/admin/v1/legacy-policy', { downtimes: [], sunsetAt: '' }, 'body.sunsetAt');
    const after = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', T)).json;
    assert.equal(after.members.find((m: { id: string }) => m.id === id).licensed, false);
    assert.equal(after.members.length, ws.members.length);
    assert.equal((await api(server, 'GET', '/admin/v1/legacy-policy', T)).json.sunsetAt, null);
  });

  test('the activation tolerates unknown fields but not a wrong type', async () => {
    for (const [over, field] of [[{ ci: 'false' }, 'body.ci'], [{ ci: 0 }, 'body.ci'], [{ version: 1 }, 'body.version'], [{ machineId: 42 }, 'body.machineId']] as const) {
      const res = await activateVia(server, f.member, over);
      assert.equal(res.status, 400, `${JSON.stringify(over)}: ${res.text}`);
      assert.equal(res.json.error.code, 'request.invalid');
      assert.match(res.json.error.message, new RegExp(`^invalid request: ${field.replace('.', '\\.')}\\b`));
    }
    const ok = await api(server, 'POST', '/v1/license/activate', { token: f.member, body: activationBody({ addedLater: { any: 1 } }) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('path parameters are strings and keep working when they look like numbers', async () => {
    const made = await api(server, 'POST', '/admin/v1/workspaces', { ...T, body: { id: '12345', name: 'Digits' } });
    assert.equal(made.status, 201, made.text);
    const got = await api(server, 'GET', '/admin/v1/workspaces/12345', T);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.name, 'Digits');
    assert.equal((await api(server, 'GET', '/admin/v1/workspaces/12345/ci-tokens', T)).status, 200);
  });
});
