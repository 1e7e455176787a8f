import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { ADMIN_TOKEN, activationBody, api, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

// A body field of the wrong JSON type is always a 400 `request.invalid` naming that field, on every route
// with a body: Fastify's default coercion must not read "2" as 2, "" as null or an object as a list of one.
// `npm test` runs a few cases; `npm run fuzz` many more (FC_NUM_RUNS).

const RUNS = Number(process.env.FC_NUM_RUNS ?? 200);
const f = fixture();
let server: InProcessServer;
let memberId: string;

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';
const jsonType = (v: unknown): JsonType => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as JsonType));

interface Field {
  /** The field's place in the body, as the 400 names it after `body`. */
  path: (string | number)[];
  types: JsonType[];
}
interface Route {
  method: string;
  url: () => string;
  token: () => string;
  body: () => Record<string, unknown>;
  fields: Field[];
}

const at = '2026-01-01T00:00:00Z';
const field = (path: (string | number)[], ...types: JsonType[]): Field => ({ path, types });
const admin = () => ADMIN_TOKEN;
const ROUTES: Route[] = [
  { method: 'POST', url: () => '/admin/v1/workspaces', token: admin, body: () => ({ id: 'ws-fuzz', name: 'Fuzz' }), fields: [field(['id'], 'string'), field(['name'], 'string')] },
  {
    method: 'POST', url: () => '/admin/v1/workspaces/ws-acme/members', token: admin, body: () => ({ email: 'fuzz@acme.test', role: 'member', licensed: false }),
    fields: [field(['email'], 'string'), field(['role'], 'string'), field(['licensed'], 'boolean')],
  },
  { method: 'PUT', url: () => `/admin/v1/members/${memberId}/seat`, token: admin, body: () => ({ licensed: false }), fields: [field(['licensed'], 'boolean')] },
  { method: 'PUT', url: () => `/admin/v1/members/${memberId}/role`, token: admin, body: () => ({ role: 'member' }), fields: [field(['role'], 'string')] },
  { method: 'POST', url: () => '/admin/v1/workspaces/ws-acme/ci-tokens', token: admin, body: () => ({ name: 'fuzz' }), fields: [field(['name'], 'string')] },
  {
    method: 'PUT', url: () => '/admin/v1/workspaces/ws-acme/license', token: admin,
    body: () => ({ type: 'subscription', plan: 'pro', seats: 2, startsAt: at, expiresAt: '2099-01-01T00:00:00Z' }),
    fields: [field(['type'], 'string'), field(['plan'], 'string'), field(['seats'], 'number', 'null'), field(['startsAt'], 'string', 'null'), field(['expiresAt'], 'string', 'null')],
  },
  {
    method: 'PUT', url: () => '/admin/v1/legacy-policy', token: admin, body: () => ({ downtimes: [{ start: at, end: '2026-01-02T00:00:00Z' }], sunsetAt: null }),
    fields: [field(['downtimes'], 'array'), field(['downtimes', 0], 'object'), field(['downtimes', 0, 'start'], 'string'), field(['downtimes', 0, 'end'], 'string'), field(['sunsetAt'], 'string', 'null')],
  },
  { method: 'POST', url: () => '/v1/ci-tokens', token: () => f.admin, body: () => ({ name: 'fuzz-self' }), fields: [field(['name'], 'string')] },
  {
    method: 'POST', url: () => '/v1/license/activate', token: () => f.member, body: () => activationBody(),
    fields: [field(['product'], 'string'), field(['version'], 'string'), field(['ci'], 'boolean'), field(['ciProvider'], 'string', 'null'), field(['machineId'], 'string')],
  },
];

/** `['downtimes', 0, 'start']` → `body.downtimes[0].start`. */
const named = (path: (string | number)[]) => `body${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function replaced(body: Record<string, unknown>, path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

before(async () => {
  server = await startApp({ seed: f.seed, rateLimit: 0 });
  const ws = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json;
  memberId = ws.members.find((m: { email: string }) => m.email === 'new@acme.test').id;
});
after(async () => {
  await server.close();
});

test('each route\'s base body is accepted, so a 400 below is the wrong type\'s doing', async () => {
  for (const route of ROUTES) {
    const res = await api(server, route.method, route.url(), { token: route.token(), body: route.body() });
    assert.ok(res.status < 300, `${route.method} ${route.url()}: ${res.status} ${res.text}`);
  }
});

test('a body field of the wrong JSON type: always 400 request.invalid naming the field', async () => {
  const wrong = fc.constantFrom(...ROUTES).chain((route) => fc.constantFrom(...route.fields).chain((target) =>
    fc.jsonValue({ maxDepth: 2 }).filter((v) => !target.types.includes(jsonType(v))).map((value) => ({ route, target, value }))));
  await fc.assert(fc.asyncProperty(wrong, async ({ route, target, value }) => {
    const body = replaced(route.body(), target.path, value);
    const res = await api(server, route.method, route.url(), { token: route.token(), body });
    const what = `${route.method} ${route.url()} ${JSON.stringify(body)}`;
    assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
    assert.equal(res.json.error.code, 'request.invalid', what);
    assert.match(res.json.error.message, new RegExp(`^invalid request: ${escape(named(target.path))}( |$)`), what);
  }), { numRuns: RUNS, timeout: 5_000, interruptAfterTimeLimit: 60_000 * Math.max(1, RUNS / 1000) });
});
