import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseEnv, ENTRYPOINT } from '../helpers/entrypoint.ts';
import { ROOT } from '../helpers/paths.ts';

// What reaches a real terminal: each program run under script(1), a real pseudo-terminal, so colours are on and
// every byte the terminal would interpret is seen.

/** A path that sets the terminal's title, a C1 CSI and a right-to-left override, if printed raw. */
const HOSTILE = '/tmp/\u001b]0;TITLE\u001b\\y\u009b2J\u202ez';

function underTerminal(command: string, env: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.once('error', reject);
    child.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** The bytes left after this program's own colours (SGR) are taken out: none a terminal would act on. */
function assertInert(bytes: Buffer, what: string): void {
  const text = bytes.toString('utf8').replace(/\u001b\[[0-9;]*m/g, '');
  assert.doesNotMatch(text, /\u001b/, `${what}: an escape byte reached the terminal`);
  assert.doesNotMatch(text, /[\u0080-\u009f]/, `${what}: a C1 control reached the terminal`);
  assert.doesNotMatch(text, /[\u202a-\u202e\u2066-\u2069]/, `${what}: a bidi control reached the terminal`);
}

const env = (name: string) => baseEnv({ API_ENDPOINT: 'http://127.0.0.1:1/v1', ACTIVATION_TIMEOUT: '1', TERM: 'xterm', [name]: HOSTILE });

for (const name of ['LOCALSTACK_AUTH_TOKEN_FILE', 'LOCALSTACK_API_KEY_FILE', 'LICENSE_TRUSTED_KEYS', 'LICENSE_CACHE_DIR', 'LOCALSTACK_LICENSE_FILE']) {
  test(`the entrypoint prints ${name} without its escape bytes (banner, exit-64 line, warnings)`, async () => {
    const bytes = await underTerminal(`${ENTRYPOINT} true`, env(name));
    assert.ok(bytes.length > 0, 'it printed something');
    assertInert(bytes, name);
    if (name !== 'LICENSE_CACHE_DIR') assert.match(bytes.toString('utf8'), /\/tmp\/\?\]0;TITLE\?\\y\?2J\?z/, 'the path is shown, its controls as ?');
  });
}

test('the host CLI prints a hostile cache folder without its escape bytes', async () => {
  const bytes = await underTerminal(`${process.execPath} ${join(ROOT, 'dist/localstack.js')} license show`, env('LICENSE_CACHE_DIR'));
  assert.ok(bytes.length > 0);
  assertInert(bytes, 'localstack license show');
});
