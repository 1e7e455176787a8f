import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fixture, startServer, type RunningServer } from '../../helpers/server.ts';

// A client's mistake is a 4xx page and at most one log line, never a 500 with a stack: the real server over real HTTP.

let server: RunningServer;
const f = fixture();
before(async () => {
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'], env: { LOG_LEVEL: 'warn' } });
});
after(async () => server?.stop());

const BODIES: [string, string][] = [
  ['text/plain', 'x'],
  ['application/xml', '<a/>'],
  ['application/octet-stream', '\u0000\u0001'],
  ['application/json', '{bad'],
  ['application/json', '["a"]'],
  ['application/x-www-form-urlencoded', '%zz=%'],
  ['multipart/form-data; boundary=x', '--x\r\n'],
];
const PATHS = ['/sign-out', '/sign-in', '/sign-up', '/accept-invitation', '/workspace/members', '/workspace/auth-tokens/rotate', '/workspace/ci-tokens', '/workspace/members/m-1/role', '/workspace/offline-licenses'];

test('every console POST with a body that is not a form: a 4xx page before sign-in, no stack in the log', async () => {
  const before = server.output().length;
  for (const path of PATHS) {
    for (const [type, body] of BODIES) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body, redirect: 'manual' });
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500 || res.status === 303, `${path} with ${type}: ${res.status}`);
      assert.notEqual(res.status, 500);
      assert.doesNotMatch(text, /Something went wrong/, `${path} with ${type}`);
    }
  }
  const log = server.output().slice(before);
  assert.doesNotMatch(log, /^\s+at /m, 'no stack trace in the server\'s output');
  assert.doesNotMatch(log, /TypeError|Something went wrong/);
});

test('the API answers the same bodies in its error shape with a 4xx, never a 500', async () => {
  for (const path of ['/v1/license/activate', '/v1/ci-tokens', '/v1/me/auth-token/rotate']) {
    for (const [type, body] of BODIES) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${f.admin}` }, body });
      assert.ok(res.status >= 400 && res.status < 500, `${path} with ${type}: ${res.status}`);
      const json = await res.json() as { error?: { code?: string } };
      assert.match(json.error?.code ?? '', /^[a-z_.]+$/, `${path} with ${type}: a stable code`);
    }
  }
  assert.doesNotMatch(server.output(), /^\s+at /m);
});
