import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, readConfig } from '../../src/entrypoint/config.ts';

// The config reader on arbitrary values of every variable: a Config within range, or one ConfigError
// (config.invalid) that names one of the given variables in one short line.
const RUNS = Number(process.env.FC_NUM_RUNS ?? 300);
const VARS = ['ACTIVATE_PRO', 'LOG_LICENSE_ISSUES', 'API_ENDPOINT', 'LICENSE_CACHE_DIR', 'LICENSE_TRUSTED_KEYS', 'ACTIVATION_TIMEOUT',
  'SHUTDOWN_TIMEOUT', 'LICENSE_REFRESH_INTERVAL', 'LOG_FORMAT', 'NO_COLOR'] as const;
const value = fc.oneof(
  fc.string(), fc.string({ unit: 'binary' }),
  fc.constantFrom('0', '1', 'true', 'FALSE', 'json', 'JSON', 'text', '', ' ', '-1', '1e309', 'NaN', 'Infinity', '0x10', '2.5', 'http://x/v1', 'https://h:1/', 'ftp://x'),
  fc.double().map(String),
);

test('any environment: a sane Config or one ConfigError naming a variable', () => {
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...VARS), value), fc.boolean(), (env, isTTY) => {
    try {
      const c = readConfig(env, { defaultTrustedKeys: '/k.json', isTTY });
      assert.equal(typeof c.activatePro, 'boolean');
      assert.ok(Number.isFinite(c.activationTimeoutMs) && c.activationTimeoutMs > 0);
      assert.ok(Number.isFinite(c.shutdownTimeoutMs) && c.shutdownTimeoutMs >= 0);
      assert.ok(Number.isFinite(c.refreshIntervalMs) && c.refreshIntervalMs > 0);
      assert.ok(c.logFormat === 'text' || c.logFormat === 'json');
      assert.match(c.apiEndpoint, /^https?:\/\//i);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.code, 'config.invalid');
      assert.ok((VARS as readonly string[]).includes(error.variable));
      assert.ok(!error.message.includes('\n') && error.message.length < 300, error.message);
    }
  }), { numRuns: RUNS });
});
