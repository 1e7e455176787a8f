import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { offlineLicenseFileText } from '../../src/core/offline-license.ts';
import { baseEnv, nowS } from '../helpers/entrypoint.ts';
import { claimsFor, forge, forgeOffline, offlineClaimsFor, testKey, writeJwks } from '../helpers/keys.ts';
import { ROOT } from '../helpers/paths.ts';
import { tempDir } from '../helpers/server.ts';

// `localstack license show --file` (or LOCALSTACK_LICENSE_FILE): the offline license verified as the entrypoint does.
const key = await testKey();
const keys = writeJwks(tempDir(), [key.jwk]);
const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/localstack.js'), ...args], { env: baseEnv({ LICENSE_TRUSTED_KEYS: keys, LOCALSTACK_VOLUME_DIR: tempDir(), ...env }), encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const file = (text: string) => {
  const path = join(tempDir(), 'license.json');
  writeFileSync(path, text);
  return path;
};

test('shows the installation, seats, workspace and validity; a notice within 30 days', async () => {
  const claims = offlineClaimsFor(nowS() - 60, 20, { installation: 'ship-7', seats: 3 });
  const path = file(offlineLicenseFileText(await forgeOffline(key, claims), claims));
  const r = cli(['license', 'show', '--file', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Kind: +offline license/);
  assert.match(r.stdout, /Installation: +ship-7/);
  assert.match(r.stdout, /Seats: +3/);
  assert.match(r.stdout, /Workspace: +Test \(ws-test\)/);
  assert.match(r.stdout, /Warning: +The offline license .* ends in 19 days/);
  assert.equal(cli(['license', 'show'], { LOCALSTACK_LICENSE_FILE: path }).stdout, r.stdout, 'the variable names it too');
});

test('an expired file or a 24-hour license is refused with its reason and fix', async () => {
  const old = offlineClaimsFor(nowS() - 40 * 86_400, 30);
  const expired = cli(['license', 'show', '--file', file(offlineLicenseFileText(await forgeOffline(key, old), old))]);
  assert.equal(expired.code, 1);
  assert.match(expired.stderr, /^Error: The offline license has expired: .*Ask an owner or admin of the workspace for a new offline license file/);
  const daily = cli(['license', 'show', '--file', file(JSON.stringify({ license: await forge(key, claimsFor('ls-x', nowS())) }))]);
  assert.equal(daily.code, 1);
  assert.match(daily.stderr, /The file is not an offline license: the file is a 24-hour activation license/);
});

test('localstack start with LOCALSTACK_LICENSE_FILE and no token: the file mounted read-only and named, no token passed', async () => {
  const dir = tempDir('pa-home-');
  const claims = offlineClaimsFor(nowS() - 60, 90);
  const path = file(offlineLicenseFileText(await forgeOffline(key, claims), claims));
  const record = join(dir, 'record.json');
  const docker = join(dir, 'recording-docker');
  // docker's command line is what is under test here (no daemon runs); the image tests run the real container.
  writeFileSync(docker, `#!/usr/bin/env node\nrequire('node:fs').writeFileSync(process.env.RECORD, JSON.stringify({ argv: process.argv.slice(2), env: process.env }));\n`, { mode: 0o755 });
  const r = cli(['start'], { HOME: dir, LOCALSTACK_CONFIG_DIR: join(dir, 'config'), LOCALSTACK_VOLUME_DIR: join(dir, 'volume'), LOCALSTACK_LICENSE_FILE: path, DOCKER_CMD: docker, RECORD: record });
  assert.equal(r.code, 0, r.stderr);
  const { argv, env } = JSON.parse(readFileSync(record, 'utf8'));
  const mount = argv[argv.indexOf(`${path}:/etc/localstack/offline/license.json:ro`) - 1];
  assert.equal(mount, '-v');
  assert.ok(argv.includes('LOCALSTACK_LICENSE_FILE'));
  assert.equal(env.LOCALSTACK_LICENSE_FILE, '/etc/localstack/offline/license.json');
  assert.ok(!argv.includes('LOCALSTACK_AUTH_TOKEN'));
  assert.equal(env.LOCALSTACK_AUTH_TOKEN, undefined);
  const none = cli(['start'], { HOME: dir, LOCALSTACK_CONFIG_DIR: join(dir, 'config'), LOCALSTACK_VOLUME_DIR: join(dir, 'volume'), DOCKER_CMD: docker, RECORD: join(dir, 'not-run.json') });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No auth token configured/);
});
