import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { serialise } from '../../src/core/cache-file.ts';
import { atExit } from './cleanup.ts';
import { testKey, writeJwks, type TestKey } from './keys.ts';
import { ROOT } from './paths.ts';
import { api, startServer, tempDir, type Fixture, type RunningServer } from './server.ts';

export const ENTRYPOINT = join(ROOT, 'entrypoint/docker-entrypoint');

/** A clean environment: no CI variables from the machine running the tests, no credential unless given. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', TMPDIR: tempDir('pa-tmp-') };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function cacheDir(): string {
  const dir = join(tempDir('pa-cache-'), 'cache');
  mkdirSync(dir);
  return dir;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Started {
  child: ChildProcess;
  done: Promise<Run>;
  output: () => string;
}

const alive = new Map<ChildProcess, boolean>();
// A test that failed half-way must not leave its entrypoint running, writing into a folder being removed.
atExit(() => {
  for (const [child, group] of alive) {
    try {
      if (group) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
});

/** Spawns a command (the entrypoint unless told) as a real process and collects everything it prints. */
export function start(args: string[], env: Record<string, string>, options: { command?: string; detached?: boolean; cwd?: string } = {}): Started {
  const t0 = performance.now();
  const child = spawn(options.command ?? ENTRYPOINT, args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
  if (child.pid !== undefined) alive.set(child, options.detached === true);
  child.once('exit', () => alive.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
  return { child, done, output: () => stdout + stderr };
}

export function run(args: string[], env: Record<string, string>, options: { command?: string; cwd?: string } = {}): Promise<Run> {
  return start(args, env, options).done;
}

/** Prints the child's view of the activation as one JSON line on stdout. */
export const SHOW_ENV = ['sh', '-c', 'printf \'{"pro":"%s","mode":"%s","file":"%s"}\\n\' "$PRO_ACTIVATED" "$LICENSE_MODE" "$LICENSE_FILE"'];

export function childView(run: Run): { pro: string; mode: string; file: string } {
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

export async function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fails when any of the secrets appears in the text: no credential in any output. */
export function assertNoSecret(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error(`a credential (${secret.slice(0, 5)}…) appeared in the output`);
  }
}

export const nowS = () => Math.floor(Date.now() / 1000);

/** Listens on a free loopback port; returns host:port. */
export async function listen(server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** An endpoint where nothing listens: connections are refused at once. */
export async function refusedEndpoint(): Promise<string> {
  const probe = createTcpServer();
  const host = await listen(probe);
  await new Promise((r) => probe.close(r));
  return `http://${host}/v1`;
}

/** A cache folder holding license.json with the given JWS (mode 0600). */
export function cacheWith(jws: string, endpoint = 'http://x/v1'): string {
  const dir = cacheDir();
  writeFileSync(join(dir, 'license.json'), serialise(jws, endpoint, new Date()), { mode: 0o600 });
  return dir;
}

export interface ActivationWorld {
  server: RunningServer;
  trusted: string;
  key: TestKey;
  refused: string;
  /** The entrypoint's environment against this server: its keys trusted, a fresh cache folder, the fixture's admin token. */
  env: (extra?: Record<string, string | undefined>) => Record<string, string>;
}

/** What the entrypoint's process tests start from: a real server, its keys plus a foreign key trusted, and a refused port. */
export async function startActivationWorld(f: Fixture): Promise<ActivationWorld> {
  const server = await startServer({ seed: f.seed, args: ['--rate-limit', '0'] });
  const key = await testKey();
  const trusted = writeJwks(tempDir(), [...(await api(server, 'GET', '/.well-known/jwks.json')).json.keys, key.jwk]);
  const env = (extra: Record<string, string | undefined> = {}) =>
    baseEnv({ API_ENDPOINT: `${server.url}/v1`, LICENSE_TRUSTED_KEYS: trusted, LICENSE_CACHE_DIR: cacheDir(), ACTIVATION_TIMEOUT: '5', LOCALSTACK_AUTH_TOKEN: f.admin, ...extra });
  return { server, trusted, key, refused: await refusedEndpoint(), env };
}
