import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../../src/entrypoint/config.ts';

const ctx = { defaultTrustedKeys: '/pkg/keys/trusted-keys.json', isTTY: false };

test('defaults of section 3', () => {
  assert.deepEqual(readConfig({}, ctx), {
    activatePro: true, logLicenseIssues: true, apiEndpoint: 'https://api.localstack.cloud/v1', cacheDir: '/var/lib/localstack/cache',
    trustedKeys: '/pkg/keys/trusted-keys.json', activationTimeoutMs: 10_000, shutdownTimeoutMs: 5_000, refreshIntervalMs: 43_200_000,
    logFormat: 'text', color: false,
  });
});

test('booleans are case-insensitive and accept 1/0/true/false; empty means default', () => {
  for (const [value, expected] of [['0', false], ['false', false], ['FALSE', false], ['False', false], ['1', true], ['True', true], ['', true], [' ', true]] as const) {
    assert.equal(readConfig({ ACTIVATE_PRO: value }, ctx).activatePro, expected, value);
  }
});

test('LOG_FORMAT is case-insensitive, like ACTIVATE_PRO', () => {
  for (const value of ['JSON', 'Json', ' json ']) assert.equal(readConfig({ LOG_FORMAT: value }, ctx).logFormat, 'json', value);
  assert.equal(readConfig({ LOG_FORMAT: 'TEXT' }, ctx).logFormat, 'text');
});

test('every invalid value is one line naming the variable and what it accepts', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ ACTIVATE_PRO: 'maybe' }, 'ACTIVATE_PRO', /^ACTIVATE_PRO=maybe is invalid: use 1\/true .* or 0\/false/],
    [{ LOG_LICENSE_ISSUES: 'yes' }, 'LOG_LICENSE_ISSUES', /^LOG_LICENSE_ISSUES=yes is invalid/],
    [{ ACTIVATION_TIMEOUT: 'abc' }, 'ACTIVATION_TIMEOUT', /^ACTIVATION_TIMEOUT=abc is invalid: use a number of seconds greater than 0/],
    [{ ACTIVATION_TIMEOUT: '0' }, 'ACTIVATION_TIMEOUT', /greater than 0/],
    [{ SHUTDOWN_TIMEOUT: '-1' }, 'SHUTDOWN_TIMEOUT', /^SHUTDOWN_TIMEOUT=-1 is invalid/],
    [{ SHUTDOWN_TIMEOUT: '1e10' }, 'SHUTDOWN_TIMEOUT', /at most 2147483 /],
    [{ LICENSE_REFRESH_INTERVAL: '99999999' }, 'LICENSE_REFRESH_INTERVAL', /at most 2147483 /],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT', /use text or json/],
    [{ API_ENDPOINT: 'not a url' }, 'API_ENDPOINT', /use an http\(s\) URL/],
    [{ API_ENDPOINT: 'ftp://x/y' }, 'API_ENDPOINT', /use an http\(s\) URL/],
    [{ ACTIVATE_PRO: `maybe\n${'x'.repeat(10_000)}` }, 'ACTIVATE_PRO', /^ACTIVATE_PRO=maybe x+… is invalid/],
  ];
  for (const [env, variable, message] of cases) {
    assert.throws(() => readConfig(env, ctx), (error: { variable: string; message: string; code: string }) => {
      assert.equal(error.code, 'config.invalid');
      assert.equal(error.variable, variable);
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'));
      assert.ok(error.message.length < 200);
      return true;
    });
  }
});

test('numbers, endpoint trailing slash, colour only on a TTY without NO_COLOR', () => {
  const c = readConfig({ ACTIVATION_TIMEOUT: '2.5', SHUTDOWN_TIMEOUT: '0', API_ENDPOINT: 'http://127.0.0.1:9/v1/', LOG_FORMAT: 'json' }, { ...ctx, isTTY: true });
  assert.equal(c.activationTimeoutMs, 2500);
  assert.equal(c.shutdownTimeoutMs, 0);
  assert.equal(c.apiEndpoint, 'http://127.0.0.1:9/v1');
  assert.equal(c.logFormat, 'json');
  assert.equal(c.color, true);
  assert.equal(readConfig({ NO_COLOR: '1' }, { ...ctx, isTTY: true }).color, false);
});
