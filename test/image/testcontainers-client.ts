// Run by testcontainers.image.ts inside a network namespace of its own, where a Docker engine with a bridge runs:
// the real @testcontainers/localstack module starts the image as a team's test suite does. Prints one JSON result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalstackContainer } from '@testcontainers/localstack';
import { fixture, startServer } from '../helpers/server.ts';

const IMAGE = process.argv[2] ?? 'localstack/localstack-pro';
/** The bridge's gateway in this namespace: where a container reaches the license server. */
const GATEWAY = process.argv[3] ?? '172.17.0.1';
const f = fixture();
const server = await startServer({ seed: f.seed, args: ['--host', '0.0.0.0', '--rate-limit', '0'] });
const jwks = readFileSync(join(server.dataDir, 'public/jwks.json'), 'utf8');
const base = () => new LocalstackContainer(IMAGE)
  .withCopyContentToContainer([{ content: jwks, target: '/etc/localstack/keys/server.json' }])
  .withEnvironment({ API_ENDPOINT: `http://${GATEWAY}:${server.port}/v1`, LICENSE_TRUSTED_KEYS: '/etc/localstack/keys/server.json' });
const result: Record<string, unknown> = {};
try {
  const t0 = performance.now();
  const pro = await base().withEnvironment({ LOCALSTACK_AUTH_TOKEN: f.admin }).start();
  result.startMs = Math.round(performance.now() - t0);
  const uri = pro.getConnectionUri();
  result.uri = uri;
  result.health = await (await fetch(`${uri}/_localstack/health`)).json();
  const t1 = performance.now();
  await pro.stop({ timeout: 10_000 });
  result.stopMs = Math.round(performance.now() - t1);
  let logs = '';
  try {
    await base().withLogConsumer((stream) => stream.on('data', (line) => (logs += line))).start();
    result.failedStart = { rejected: false };
  } catch (error) {
    // The log stream may still be draining when start() gives up.
    await new Promise((r) => setTimeout(r, 500));
    result.failedStart = { rejected: true, message: String((error as Error).message).slice(0, 300), logs };
  }
} catch (error) {
  result.error = String((error as Error).stack ?? error);
} finally {
  await server.stop();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
