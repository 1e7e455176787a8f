// `npm run demo`: the main job on embedded defaults. A throw-away license server with a seeded workspace,
// the entrypoint activating and starting the demo product, its health with the Pro services, then the
// failure banner for a bad token. Everything runs on 127.0.0.1 and is cleaned up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateToken } from '../src/core/credentials.ts';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'pro-activation-demo-'));
const children: ChildProcess[] = [];
// A reader that goes away (`npm run demo | head`) must not leave the servers running.
process.stdout.on('error', () => {});
const bold = process.stdout.isTTY && !process.env.NO_COLOR;
const say = (text: string) => console.log(bold ? `\n\u001b[1m== ${text}\u001b[0m` : `\n== ${text}`);

function freePort(): Promise<number> {
  const probe = createServer();
  return new Promise((resolve) => probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  }));
}

function launch(command: string, args: string[], env: Record<string, string>, prefix: string): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(command, args, { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  const echo = (d: Buffer) => {
    text += d;
    for (const line of d.toString().replace(/\n$/, '').split('\n')) console.log(`${prefix} ${line}`);
  };
  child.stdout!.on('data', echo);
  child.stderr!.on('data', echo);
  return { child, output: () => text, exit: new Promise((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 : null)))) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let failed = false;
try {
  const token = generateToken('developer');
  const seed = {
    workspaces: [{
      id: 'ws-demo', name: 'Demo Workspace',
      license: { type: 'subscription', plan: 'pro', seats: 5, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
      members: [{ email: 'dev@demo.test', role: 'admin', licensed: true, authToken: token }],
    }],
  };
  writeFileSync(join(work, 'seed.json'), JSON.stringify(seed));

  say('1. License server (throw-away data folder, seeded workspace "Demo Workspace")');
  const server = launch(process.execPath, [join(root, 'dist/license-server.js'), '--port', '0', '--data-dir', join(work, 'license-data'), '--seed', join(work, 'seed.json')], {}, '  [license-server]');
  const url = await until('the license server', () => /listening on (http:\/\/\S+)/.exec(server.output())?.[1]);
  const trusted = join(work, 'license-data/public/jwks.json');

  say('2. docker-entrypoint pro-emulator, with a valid auth token');
  const port = await freePort();
  const common = { API_ENDPOINT: `${url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: join(work, 'cache'), GATEWAY_LISTEN: `127.0.0.1:${port}` };
  const product = launch(join(root, 'entrypoint/docker-entrypoint'), [process.execPath, join(root, 'dist/pro-emulator.js')], { ...common, LOCALSTACK_AUTH_TOKEN: token }, '  [container]');
  await until('the product', () => (product.output().includes('Ready.') ? true : undefined));

  say(`3. curl http://127.0.0.1:${port}/_localstack/health`);
  const health = await (await fetch(`http://127.0.0.1:${port}/_localstack/health`)).json() as { services: Record<string, string>; edition: string };
  console.log(JSON.stringify(health, null, 2));
  if (!health.services.xray) throw new Error('xray is missing: the Pro license was not activated');
  console.log(`Pro service xray is ${health.services.xray}: LocalStack Pro is activated.`);

  say('4. docker stop (SIGTERM is forwarded; the exit code comes back)');
  product.child.kill('SIGTERM');
  console.log(`  exit code ${await product.exit}`);

  say('5. The same with a mistyped token: the failure banner, exit 55');
  const typo = `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
  const bad = launch(join(root, 'entrypoint/docker-entrypoint'), [process.execPath, join(root, 'dist/pro-emulator.js')], { ...common, LOCALSTACK_AUTH_TOKEN: typo }, '  [container]');
  const code = await bad.exit;
  console.log(`  exit code ${code}`);
  if (code !== 55) throw new Error(`expected exit 55, got ${code}`);
  const cache = JSON.parse(readFileSync(join(work, 'cache/license.json'), 'utf8'));
  say(`Done. The signed license was cached at ${join(work, 'cache/license.json')} (activated ${cache.activatedAt}); cleaning up.`);
} catch (error) {
  failed = true;
  console.error(`demo failed: ${(error as Error).message}`);
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
