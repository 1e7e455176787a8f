import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
