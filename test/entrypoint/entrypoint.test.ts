import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateToken } from '../../src/core/credentials.ts';
import { assertNoSecret as noSecretIn, baseEnv, cacheDir, childView, ENTRYPOINT, run, SHOW_ENV, type Run } from '../helpers/entrypoint.ts';
import { testKey, writeJwks, type TestKey } from '../helpers/keys.ts';
import { api, fixture, startServer, tempDir, ADMIN_TOKEN, type RunningServer } from '../helpers/server.ts';

const f = fixture();
let server: RunningServer;
let trusted: string;
let key: TestKey;
const secrets = () => [f.admin, f.member, f.unlicensed, f.ci, f.legacy, f.expired];

before(async () => {
  server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  key = await testKey();
  const jwks = (await api(server, 'GET', '/.well-known/jwks.json')).json;
  trusted = writeJwks(tempDir(), [...jwks.keys, key.jwk]);
});
after(async () => {
  await server.stop();
});

function env(extra: Record<string, string | undefined> = {}) {
  return baseEnv({ API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', ...extra });
}

function assertNoSecret(r: Run): void {
  noSecretIn(r.stdout + r.stderr, secrets());
}

function assertBanner(r: Run, reason: RegExp, options: { activatePro?: boolean } = {}): void {
  assertNoSecret(r);
  assert.ok(r.stderr.includes('===============================================\nLicense activation failed! 🔑❌\n\nReason: '), r.stderr);
  assert.match(r.stderr, reason);
  if (options.activatePro === false) assert.ok(r.stderr.includes('Due to this error, LocalStack will start without pro features.'));
  else assert.ok(r.stderr.includes('you can set `ACTIVATE_PRO=0`.'));
}

describe('online activation', () => {
  test('success: the exact line, the command gets PRO_ACTIVATED/LICENSE_MODE/LICENSE_FILE, the cache file is 0600 and well-formed', async () => {
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.admin });
    const r = await run(SHOW_ENV, e);
    assert.equal(r.code, 0, r.stderr);
    assertNoSecret(r);
    const lic = (await api(server, 'GET', '/admin/v1/workspaces/ws-acme', { token: ADMIN_TOKEN })).json.license;
    assert.equal(r.stderr.trim(), `Successfully activated license ${lic.id}:subscription 🔑✅`);
    const view = childView(r);
    assert.deepEqual(view, { pro: '1', mode: 'online', file: join(e.LICENSE_CACHE_DIR, 'license.json') });
    assert.equal(statSync(view.file).mode & 0o777, 0o600);
    const cached = JSON.parse(readFileSync(view.file, 'utf8'));
    assert.deepEqual(Object.keys(cached).sort(), ['activatedAt', 'endpoint', 'format', 'license']);
    assert.equal(cached.format, 1);
    assert.equal(cached.endpoint, `${server.url}/v1`);
    assert.ok(!readFileSync(view.file, 'utf8').includes(f.admin));
  });

  test('the warm path never asks for the host\'s time zone (ICU\'s zone data would stay resident for the container\'s life)', async () => {
    // strace follows the entrypoint and its command; TZ unset, as in the image, so a lookup would open /etc/localtime.
    const trace = join(tempDir(), 'openat.trace');
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.admin, TZ: undefined, LOG_FORMAT: 'json' });
    const r = await run(['-f', '-qq', '-e', 'trace=open,openat', '-o', trace, ENTRYPOINT, 'true'], e, { command: 'strace' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /"message":"Successfully activated license /);
    const opened = readFileSync(trace, 'utf8');
    assert.match(opened, /license\.json/, 'the trace covers the activation');
    assert.doesNotMatch(opened, /\/etc\/localtime|zoneinfo/);
  });

  test('a CI token in CI, and a legacy key with its deprecation warning', async () => {
    const ci = await run(SHOW_ENV, env({ LOCALSTACK_AUTH_TOKEN: f.ci, CI: 'true', GITHUB_ACTIONS: 'true' }));
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(childView(ci).mode, 'online');
    const legacy = await run(SHOW_ENV, env({ LOCALSTACK_API_KEY: f.legacy }));
    assert.equal(legacy.code, 0, legacy.stderr);
    assert.match(legacy.stderr, /Warning: LOCALSTACK_API_KEY holds a legacy API key \(.{2}…\); legacy keys are being sunset/);
    assertNoSecret(legacy);
    const quiet = await run(SHOW_ENV, env({ LOCALSTACK_API_KEY: f.legacy, LOG_LICENSE_ISSUES: '0' }));
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(childView(quiet).pro, '1');
    assert.match(quiet.stderr, /^Successfully activated license /);
    assert.ok(!quiet.stderr.includes('Warning'), 'LOG_LICENSE_ISSUES=0 silences warnings');
  });

  test('the _FILE convention (Docker and Kubernetes secrets)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'token'), `${f.member}\n`);
    const r = await run(SHOW_ENV, env({ LOCALSTACK_AUTH_TOKEN_FILE: join(dir, 'token') }));
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('every banner reason, exit 55', () => {
  const unknown = generateToken('developer');
  const cases: [string, () => Record<string, string | undefined>, RegExp][] = [
    ['no credentials', () => ({ LOCALSTACK_AUTH_TOKEN: ' ' }), /Reason: No credentials are set\. Set LOCALSTACK_AUTH_TOKEN/],
    ['credentials invalid (unknown token)', () => ({ LOCALSTACK_AUTH_TOKEN: unknown }), /Reason: The credentials defined in your environment are invalid\./],
    ['token malformed', () => ({ LOCALSTACK_AUTH_TOKEN: f.admin.slice(0, -2) + 'zz' }), /Reason: The credentials are malformed: LOCALSTACK_AUTH_TOKEN: the auth token has a typo/],
    ['both an auth token and an API key', () => ({ LOCALSTACK_AUTH_TOKEN: f.admin, LOCALSTACK_API_KEY: f.legacy }), /Reason: Conflicting credentials: both an auth token \(LOCALSTACK_AUTH_TOKEN\) and an API key/],
    ['_FILE unreadable', () => ({ LOCALSTACK_AUTH_TOKEN_FILE: '/nonexistent/secret' }), /Reason: The credentials file cannot be used: LOCALSTACK_AUTH_TOKEN_FILE names \/nonexistent\/secret, which cannot be read \(ENOENT\)/],
    ['developer token in CI', () => ({ LOCALSTACK_AUTH_TOKEN: f.admin, CI: 'true' }), /Reason: A developer auth token was used in a CI environment\. Use a CI auth token \(lsci-…\)/],
    ['no license assigned', () => ({ LOCALSTACK_AUTH_TOKEN: f.unlicensed }), /Reason: No license is assigned to new@acme\.test in workspace Acme\. Ask a workspace admin to assign you a license on the Users & Licenses page \(https:\/\/app\.localstack\.cloud\/workspace\/members\)\.\n/],
    ['license expired', () => ({ LOCALSTACK_AUTH_TOKEN: f.expired }), /Reason: The subscription license of workspace Old Co expired at 2025-06-01T00:00:00\.000Z\. Renew the license, or ask a workspace admin to, at https:\/\/app\.localstack\.cloud\.\n/],
    ['unexpected server answer', () => ({ LOCALSTACK_AUTH_TOKEN: f.admin, API_ENDPOINT: `${server.url}/wrong-prefix` }), /Reason: The license server gave an unexpected answer and no usable cached license was found: HTTP 404 request\.not_found; no cached license exists\. Check that API_ENDPOINT is the license server/],
  ];
  for (const [name, extra, reason] of cases) {
    test(name, async () => {
      const r = await run(SHOW_ENV, env(extra()));
      assert.equal(r.code, 55, r.stderr);
      assert.equal(r.stdout, '', 'the command did not run');
      assertBanner(r, reason);
    });
  }

  test('legacy key downtime (until when) and sunset (switch to LOCALSTACK_AUTH_TOKEN)', async () => {
    const ff = fixture();
    const end = new Date(Date.now() + 7200_000).toISOString();
    ff.seed.legacyApiKeys = { downtimes: [{ start: new Date(Date.now() - 60_000).toISOString(), end }], sunsetAt: null };
    const s = await startServer({ seed: ff.seed });
    try {
      const jwks = (await api(s, 'GET', '/.well-known/jwks.json')).json;
      const keys = writeJwks(tempDir(), jwks.keys);
      const down = await run(SHOW_ENV, env({ LOCALSTACK_API_KEY: ff.legacy, API_ENDPOINT: `${s.url}/v1`, LICENSE_TRUSTED_KEYS: keys }));
      assert.equal(down.code, 55);
      assertBanner(down, new RegExp(`Reason: Legacy API keys are unavailable during a scheduled downtime until ${end.replace(/\./g, '\\.')}\\. Set LOCALSTACK_AUTH_TOKEN to your auth token \\(https://app\\.localstack\\.cloud/workspace/auth-tokens\\) instead of LOCALSTACK_API_KEY\\.\n`));
      assert.ok(!down.stderr.split('\n').find((l) => l.startsWith('Reason: '))!.includes('Switch to'), 'the advice is given once');
      await api(s, 'PUT', '/admin/v1/legacy-policy', { token: ADMIN_TOKEN, body: { downtimes: [], sunsetAt: '2020-01-01T00:00:00Z' } });
      const sunset = await run(SHOW_ENV, env({ LOCALSTACK_API_KEY: ff.legacy, API_ENDPOINT: `${s.url}/v1`, LICENSE_TRUSTED_KEYS: keys }));
      assert.equal(sunset.code, 55);
      assertBanner(sunset, /Reason: Legacy API keys are no longer accepted since .*Set LOCALSTACK_AUTH_TOKEN to your auth token/);
      assert.ok(!(down.stderr + sunset.stderr).includes(ff.legacy));
    } finally {
      await s.stop();
    }
  });

  test('a 200 whose license is not signed by a trusted key: not genuine, never cached', async () => {
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.admin, LICENSE_TRUSTED_KEYS: writeJwks(tempDir(), [key.jwk]) });
    const r = await run(SHOW_ENV, e);
    assert.equal(r.code, 55);
    assertBanner(r, /Reason: The license server answered with a license that is not genuine \(.*license\.unknown_key/);
    assert.throws(() => statSync(join(e.LICENSE_CACHE_DIR, 'license.json')), { code: 'ENOENT' });
  });

  test('LOG_LICENSE_ISSUES=0 prints no banner but keeps exit 55', async () => {
    const r = await run(SHOW_ENV, env({ LOG_LICENSE_ISSUES: '0' }));
    assert.equal(r.code, 55);
    assert.equal(r.stderr, '');
  });

  test('LOG_FORMAT=json: every line one JSON object; the failure carries code, reason and banner', async () => {
    const r = await run(SHOW_ENV, env({ LOG_FORMAT: 'json', LOCALSTACK_API_KEY: f.legacy, LOCALSTACK_AUTH_TOKEN: f.admin }));
    assert.equal(r.code, 55);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const failure = lines.at(-1);
    assert.equal(failure.level, 'error');
    assert.equal(failure.code, 'credentials.conflict');
    assert.match(failure.reason, /^Conflicting credentials/);
    assert.ok(failure.banner.startsWith('===============================================\nLicense activation failed! 🔑❌'));
    assert.ok(!Number.isNaN(Date.parse(failure.time)));
    const ok = await run(SHOW_ENV, env({ LOG_FORMAT: 'json', LOCALSTACK_AUTH_TOKEN: f.admin }));
    assert.equal(ok.code, 0, ok.stderr);
    const success = JSON.parse(ok.stderr.trim());
    assert.equal(success.level, 'info');
    assert.match(success.message, /^Successfully activated license /);
    const invalid = await run(['true'], env({ LOG_FORMAT: 'json', ACTIVATE_PRO: 'maybe' }));
    assert.equal(invalid.code, 64);
    assert.deepEqual({ ...JSON.parse(invalid.stderr), time: undefined, message: undefined }, { time: undefined, message: undefined, level: 'error', code: 'config.invalid', variable: 'ACTIVATE_PRO' });
    const missing = await run(['no-such-command-here'], env({ LOG_FORMAT: 'json', LOCALSTACK_AUTH_TOKEN: f.admin }));
    assert.equal(missing.code, 127);
    for (const line of missing.stderr.trim().split('\n')) JSON.parse(line);
  });
});

describe('ACTIVATE_PRO=0 and exit codes', () => {
  test('degrade: banner variant, then the command runs without Pro', async () => {
    const r = await run(SHOW_ENV, env({ ACTIVATE_PRO: 'False', LOCALSTACK_AUTH_TOKEN: generateToken('developer') }));
    assert.equal(r.code, 0);
    assertBanner(r, /credentials defined in your environment are invalid/, { activatePro: false });
    assert.ok(!r.stderr.includes('ACTIVATE_PRO=0'));
    assert.deepEqual(childView(r), { pro: '0', mode: 'none', file: '' });
  });

  test('64: no command, or an invalid variable, with one line naming it', async () => {
    const none = await run([], env());
    assert.equal(none.code, 64);
    assert.match(none.stderr, /no command given/);
    for (const [name, value] of [['ACTIVATE_PRO', 'maybe'], ['ACTIVATION_TIMEOUT', 'abc'], ['LOG_FORMAT', 'yaml'], ['SHUTDOWN_TIMEOUT', 'soon']]) {
      const r = await run(['true'], env({ [name]: value, LOCALSTACK_AUTH_TOKEN: f.admin }));
      assert.equal(r.code, 64, `${name}=${value}`);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.ok(r.stderr.includes(`${name}=${value} is invalid`), r.stderr);
    }
    const keys = await run(['true'], env({ LICENSE_TRUSTED_KEYS: '/nonexistent.json' }));
    assert.equal(keys.code, 64);
    assert.match(keys.stderr, /LICENSE_TRUSTED_KEYS=\/nonexistent\.json names no file: set it to the path of a JWKS file/);
  });

  test('the command\'s own code, 128+n, 126 and 127 are mirrored', async () => {
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.admin });
    assert.equal((await run(['sh', '-c', 'exit 42'], e)).code, 42);
    assert.equal((await run(['sh', '-c', 'kill -USR1 $$'], e)).code, 128 + 10);
    assert.equal((await run(['sh', '-c', 'kill -KILL $$'], e)).code, 128 + 9);
    const notExec = join(tempDir(), 'script.sh');
    writeFileSync(notExec, '#!/bin/sh\necho hi\n');
    chmodSync(notExec, 0o644);
    const r126 = await run([notExec], e);
    assert.equal(r126.code, 126);
    assert.match(r126.stderr, /EACCES/);
    const r127 = await run(['definitely-not-a-command'], e);
    assert.equal(r127.code, 127);
    assert.match(r127.stderr, /definitely-not-a-command: ENOENT/);
  });

  test('a license refreshed while the command runs (LICENSE_REFRESH_INTERVAL shortened)', async () => {
    const e = env({ LOCALSTACK_AUTH_TOKEN: f.member, LICENSE_REFRESH_INTERVAL: '0.5' });
    const r = await run(['sh', '-c', 'sleep 2'], e);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /License refreshed: .* valid offline until/);
    const cached = JSON.parse(readFileSync(join(e.LICENSE_CACHE_DIR, 'license.json'), 'utf8'));
    assert.ok(Date.now() - Date.parse(cached.activatedAt) < 1800, 'the cache was rewritten by a refresh');
  });
});

describe('the front door (issue 9 §3)', () => {
  test('docker-entrypoint --help goes to the default command without activating: no banner, no 55', async () => {
    const bin = tempDir();
    // A stand-in default command on PATH that reports what it got.
    writeFileSync(join(bin, 'pro-emulator'), '#!/bin/sh\necho "args=$* pro=$PRO_ACTIVATED mode=$LICENSE_MODE file=$LICENSE_FILE"\nexit 3\n', { mode: 0o755 });
    const e = env({ PATH: `${bin}:${process.env.PATH}`, LICENSE_FILE: '/stale/license.json' });
    const r = await run(['--help'], e);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), 'args=--help pro=0 mode=none file=');
    assert.ok(!r.stderr.includes('License activation failed'), r.stderr);
    assert.match(r.stderr, /^usage: docker-entrypoint .*No license is needed for pro-emulator --help\.\n$/);
    const version = await run(['pro-emulator', '--version'], e);
    assert.equal(version.code, 3);
    assert.equal(version.stdout.trim(), 'args=--version pro=0 mode=none file=');
  });

  test('LOG_FORMAT=JSON is accepted (case-insensitive)', async () => {
    const r = await run(SHOW_ENV, env({ LOG_FORMAT: 'JSON', LOCALSTACK_AUTH_TOKEN: f.admin }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stderr.trim()).level, 'info');
  });

  test('a license ending within 14 days is announced at activation; LOG_LICENSE_ISSUES=0 silences it', async () => {
    const soon = new Date(Date.now() + 5 * 86_400_000 + 3_600_000).toISOString();
    const ff = fixture();
    (ff.seed.workspaces as { license: { expiresAt: string } }[])[0]!.license.expiresAt = soon;
    const s = await startServer({ seed: ff.seed });
    try {
      const keys = writeJwks(tempDir(), (await api(s, 'GET', '/.well-known/jwks.json')).json.keys);
      const e = env({ LOCALSTACK_AUTH_TOKEN: ff.admin, API_ENDPOINT: `${s.url}/v1`, LICENSE_TRUSTED_KEYS: keys });
      const r = await run(SHOW_ENV, e);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Warning: Your license lic-[\\w-]+ ends in 5 days \\(${soon.replace(/\./g, '\\.')}\\)\\. Renew it`));
      const quiet = await run(SHOW_ENV, { ...e, LOG_LICENSE_ISSUES: '0' });
      assert.equal(quiet.code, 0);
      assert.ok(!quiet.stderr.includes('Warning'), quiet.stderr);
    } finally {
      await s.stop();
    }
  });
});
