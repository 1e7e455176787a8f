import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareVolume } from '../../src/cli/volume.ts';
import { CliError } from '../../src/cli/errors.ts';
import { tempDir } from '../helpers/server.ts';

test('without root the volume folder and cache/ are writable for the container user, sticky', () => {
  const dir = join(tempDir(), 'deep', 'volume');
  prepareVolume(dir, false);
  for (const path of [dir, join(dir, 'cache')]) assert.equal(statSync(path).mode & 0o7777, 0o1777, path);
});

test('a volume path that cannot be made says how to fix it, with the uid', () => {
  const file = join(tempDir(), 'not-a-folder');
  writeFileSync(file, '');
  assert.throws(() => prepareVolume(join(file, 'volume'), false), (e: unknown) => e instanceof CliError && e.code === 'start.volume' && /ENOTDIR\. Fix it with: sudo chown -R 10001 /.test(e.message));
});
