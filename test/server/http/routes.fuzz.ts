import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { generateLegacyKey, generateToken } from '../../../src/core/credentials.ts';
import { ADMIN_TOKEN, fixture, startApp, type InProcessServer } from '../../helpers/server.ts';

// Every route with arbitrary parameters, bodies, content types and credentials: never a 500, never a hang,
// every failure a stable code in the error shape, never the sent credential echoed.
// `npm test` runs a few cases; `npm run fuzz` many more (FC_NUM_RUNS).

const RUNS = Number(process.env.FC_NUM_RUNS ?? 60);
const f = fixture();
let server: InProcessServer;

before(async () => {
  server = await startApp({ seed: f.seed, rateLimit: 0 });
});
after(async () => {
  await server.close();
});

const ROUTES: [string, string][] = [
  ['POST', '/v1/license/activate'], ['GET', '/v1/me'], ['POST', '/v1/me/auth-token/rotate'], ['GET', '/v1/ci-tokens'], ['POST', '/v1/ci-tokens'],
  ['POST', '/v1/ci-tokens/:id/rotate'], ['DELETE', '/v1/ci-tokens/:id'], ['GET', '/admin/v1/workspaces'], ['POST', '/admin/v1/workspaces'],
  ['GET', '/admin/v1/workspaces/:ws'], ['GET', '/admin/v1/workspaces/:ws/activations'], ['POST', '/admin/v1/workspaces/:ws/members'],
  ['POST', '/admin/v1/members/:id/auth-token/rotate'], ['PUT', '/admin/v1/members/:id/seat'], ['PUT', '/admin/v1/members/:id/role'],
  ['POST', '/admin/v1/members/:id/legacy-key'], ['DELETE', '/admin/v1/members/:id/legacy-key'], ['GET', '/admin/v1/workspaces/:ws/ci-tokens'],
  ['POST', '/admin/v1/workspaces/:ws/ci-tokens'], ['POST', '/admin/v1/workspaces/:ws/ci-tokens/:id/rotate'], ['DELETE', '/admin/v1/workspaces/:ws/ci-tokens/:id'],
  ['PUT', '/admin/v1/workspaces/:ws/license'], ['DELETE', '/admin/v1/workspaces/:ws/license'], ['GET', '/admin/v1/legacy-policy'], ['PUT', '/admin/v1/legacy-policy'],
  ['GET', '/health'], ['GET', '/.well-known/jwks.json'],
];

const instant = fc.oneof(
  fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2016-12-31T23:59:60Z', '2026-02-30T00:00:00Z', '2026-01-01', 'not a date', '+275760-09-13T00:00:00Z', '2026-01-01T00:00:00+25:00'),
  fc.string(),
);
const number = fc.oneof(fc.integer(), fc.constantFrom(9007199254740993, 2 ** 53, -1, 1e308, 0.5, 1_000_000, 1_000_001), fc.double());
/** Bodies that look like what a route takes, with every field sometimes wrong. */
const body = fc.oneof(
  fc.record({
    product: fc.oneof(fc.constant('localstack-pro'), fc.string()), version: fc.string(), ci: fc.oneof(fc.boolean(), fc.anything()),
    ciProvider: fc.oneof(fc.string(), fc.constant(null)), machineId: fc.string({ maxLength: 200 }),
  }, { requiredKeys: [] }),
  fc.record({
    type: fc.constantFrom('trial', 'subscription', 'other'), plan: fc.oneof(fc.string(), fc.constant('pro')), seats: fc.oneof(number, fc.constant(null)),
    startsAt: fc.oneof(instant, fc.constant(null)), expiresAt: fc.oneof(instant, fc.constant(null)),
  }, { requiredKeys: [] }),
  fc.record({ downtimes: fc.array(fc.record({ start: instant, end: instant }), { maxLength: 3 }), sunsetAt: fc.oneof(instant, fc.constant(null)) }, { requiredKeys: [] }),
  fc.record({
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.string()), name: fc.string(), email: fc.oneof(fc.emailAddress(), fc.string()),
    role: fc.constantFrom('owner', 'admin', 'member', 'root'), licensed: fc.oneof(fc.boolean(), number),
  }, { requiredKeys: [] }),
  fc.jsonValue(),
).map((b) => JSON.stringify(b));
const rawBody = fc.oneof(body, fc.string(), fc.constant(''), fc.constant('{"__proto__": {"polluted": 1}}'), fc.constant(undefined));
const param = fc.oneof(fc.constantFrom('ws-acme', 'ws-old', 'nope'), fc.string({ maxLength: 300 }).map(encodeURIComponent), fc.constantFrom('%ZZ', '..', '%00'));
const credential = fc.oneof(
  fc.constant(undefined), fc.constant(ADMIN_TOKEN), fc.constantFrom(f.admin, f.member, f.ci, f.legacy, f.unlicensed),
  fc.constant(null).map(() => generateToken('developer')), fc.constant(null).map(() => generateLegacyKey()), fc.string({ minLength: 8 }),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);

test('every route: no 500, no hang, the error shape with a stable code, no credential echoed', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...ROUTES), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', null), param, param, rawBody, credential, contentType,
    async ([routeMethod, pattern], method, ws, id, payload, token, type) => {
      const url = pattern.replace(':ws', ws).replace(':id', id);
      const headers: Record<string, string> = {};
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (type !== undefined && payload !== undefined) headers['content-type'] = type;
      const res = await server.app.inject({ method: (method ?? routeMethod) as 'GET', url, headers, payload });
      assert.ok(res.statusCode < 500, `${method ?? routeMethod} ${url} → ${res.statusCode} ${res.body}`);
      if (res.statusCode >= 400) {
        const json = res.json();
        assert.match(json.error.code, /^[a-z_]+(\.[a-z_]+)+$/, res.body);
        assert.equal(typeof json.error.message, 'string');
      }
      if (token && token.length >= 8) assert.ok(!res.body.includes(token), `the credential was echoed: ${res.body}`);
      assert.equal(({} as { polluted?: number }).polluted, undefined, 'no prototype pollution');
    },
  ), { numRuns: RUNS, timeout: 5_000, interruptAfterTimeLimit: 60_000 * Math.max(1, RUNS / 1000) });
});
