// Testcontainers' LocalStack module (node), for real, as a team's test suite starts the image: under the Docker engine
// that npm run test:image confines to a network namespace (its bridge and mapped ports exist only there), this test
// process inside it too. No Ryuk (its image is in no registry here); the machine has /.dockerenv, so the host is named.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalstackContainer } from '@testcontainers/localstack';
import { fixture, startServer, type RunningServer } from '../helpers/server.ts';
import { ENGINE, engine, HOST_FROM_CONTAINER, IMAGE, onlyOn } from './engine.ts';

describe('Testcontainers (@testcontainers/localstack) starts the image', { skip: onlyOn('docker-bridge'), timeout: 300_000 }, () => {
  const f = fixture();
  let server: RunningServer;
  let jwks: string;
  const container = () => new LocalstackContainer(IMAGE)
    .withCopyContentToContainer([{ content: jwks, target: '/etc/localstack/keys/server.json' }])
    .withEnvironment({ API_ENDPOINT: `http://${HOST_FROM_CONTAINER}:${server.port}/v1`, LICENSE_TRUSTED_KEYS: '/etc/localstack/keys/server.json' });

  before(async () => {
    assert.equal(process.env.TESTCONTAINERS_RYUK_DISABLED, 'true', 'npm run test:image sets the Testcontainers variables');
    server = await startServer({ seed: f.seed, args: ['--host', ENGINE.serverHost, '--rate-limit', '0'] });
    jwks = readFileSync(join(server.dataDir, 'public/jwks.json'), 'utf8');
  });
  after(() => server?.stop());

  test('start() resolves once the image prints Ready.; getConnectionUri() serves health with the Pro edition; stop({ timeout }) ends it with 0', async (t) => {
    const t0 = performance.now();
    const pro = await container().withEnvironment({ LOCALSTACK_AUTH_TOKEN: f.admin }).start();
    t.diagnostic(`start() resolved in ${Math.round(performance.now() - t0)} ms`);
    try {
      const uri = pro.getConnectionUri();
      assert.match(uri, /^http:\/\/localhost:\d+$/);
      const health = await (await fetch(`${uri}/_localstack/health`)).json() as { edition: string };
      assert.equal(health.edition, 'pro');
    } finally {
      const t1 = performance.now();
      // remove: false keeps the container for its exit code: 0, not 137, within the grace period.
      const stopped = await pro.stop({ timeout: 10_000, remove: false });
      t.diagnostic(`stop({ timeout: 10_000 }) answered in ${Math.round(performance.now() - t1)} ms`);
      const exit = await engine(['inspect', '--format', '{{.State.ExitCode}}', stopped.getId()]);
      await engine(['rm', '-f', '-v', stopped.getId()]);
      assert.equal(exit.stdout.trim(), '0', exit.stderr);
    }
  });

  test('with no token start() rejects, and the container\'s logs hold the banner', async () => {
    let logs = '';
    const failed = await container().withLogConsumer((stream) => stream.on('data', (line) => (logs += line))).start().then(
      () => undefined,
      (error: Error) => error,
    );
    assert.ok(failed, 'start() rejected');
    assert.match(failed.message, /Log stream ended and message "Ready" was not received/);
    // The log stream may still be draining when start() gives up.
    for (let i = 0; i < 20 && !/Reason:/.test(logs); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(logs, /License activation failed! 🔑❌/);
    assert.match(logs, /Reason: No credentials are set/);
  });
});
