import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateLegacyKey, generateToken } from '../../src/core/credentials.ts';
import { Accounts } from '../../src/server/accounts/model.ts';
import { buildServer } from '../../src/server/http/app.ts';
import { checkSeed, importSeed } from '../../src/server/accounts/seed.ts';
import { SigningKeys, type LicenseSigner } from '../../src/server/signing/keys.ts';
import { SqliteStore } from '../../src/server/storage/sqlite/store.ts';
import type { Store } from '../../src/server/storage/store.ts';
import type { RateLimit } from '../../src/server/http/rate-limit.ts';
import type { ScannerKeys } from '../../src/server/secret-scanning/keys.ts';
import { KEY_SECRET, sharedDatabase } from './postgres.ts';
import { openPostgres } from '../../src/server/storage/postgres/backend.ts';
import { atExit, tempDir } from './cleanup.ts';
import { ROOT } from './paths.ts';
import type { Health } from '../../src/product/health.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM and wait. */
  stop: () => Promise<void>;
  /** SIGKILL and wait: the license server is gone. */
  kill: () => Promise<void>;
}

const running = new Set<ChildProcess>();
// A failed test must not leave license servers behind (nor have one write into a folder being removed).
atExit(() => {
  for (const child of running) child.kill('SIGKILL');
});

export { tempDir };

/** Starts the real built license server on 127.0.0.1 with a free port. */
export async function startServer(options: { dataDir?: string; seed?: unknown; args?: string[]; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir('pa-server-');
  const args = [join(ROOT, 'dist/license-server.js'), '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])];
  if (options.seed) {
    const seedFile = join(tempDir('pa-seed-'), 'seed.json');
    writeFileSync(seedFile, JSON.stringify(options.seed));
    args.push('--seed', seedFile);
  }
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ADMIN_TOKEN, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const m = /license server listening on http:\/\/[\d.]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`license server exited ${code}: ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    process: child,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Fixture {
  seed: Record<string, unknown>;
  admin: string;
  member: string;
  unlicensed: string;
  ci: string;
  legacy: string;
  expired: string;
}

/** A seeded world: Acme (subscription, 2 seats) with an admin, a licensed member's legacy key, an unlicensed member, a CI token; Old Co (expired). */
export function fixture(): Fixture {
  const f = {
    admin: generateToken('developer'), member: generateToken('developer'), unlicensed: generateToken('developer'),
    ci: generateToken('ci'), legacy: generateLegacyKey(), expired: generateToken('developer'),
  };
  const seed = {
    workspaces: [
      {
        id: 'ws-acme', name: 'Acme',
        license: { type: 'subscription', plan: 'pro', seats: 2, startsAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
        members: [
          { email: 'admin@acme.test', role: 'admin', licensed: true, authToken: f.admin },
          { email: 'dev@acme.test', role: 'member', licensed: true, authToken: f.member, legacyApiKey: f.legacy },
          { email: 'new@acme.test', role: 'member', licensed: false, authToken: f.unlicensed },
        ],
        ciTokens: [{ name: 'github', token: f.ci }],
      },
      {
        id: 'ws-old', name: 'Old Co',
        license: { type: 'subscription', plan: 'pro', seats: 1, startsAt: '2025-01-01T00:00:00Z', expiresAt: '2025-06-01T00:00:00Z' },
        members: [{ email: 'old@old.test', role: 'owner', licensed: true, authToken: f.expired }],
      },
    ],
    legacyApiKeys: { downtimes: [], sunsetAt: null },
  };
  return { seed, ...f };
}

export interface InProcessServer {
  app: FastifyInstance;
  accounts: Accounts;
  store: Store;
  keys: LicenseSigner;
  dataDir: string;
  close: () => Promise<void>;
}

/** The real app on a real SQLite store in a temp folder, in this process: requests go through app.inject(). */
export async function startApp(options: { seed?: unknown; dataDir?: string; adminToken?: string | null; rateLimit?: number; now?: string; scannerKeys?: ScannerKeys } = {}): Promise<InProcessServer> {
  const dataDir = options.dataDir ?? tempDir('pa-app-');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const offset = options.now ? Date.parse(options.now) - Date.now() : 0;
  const clock = () => new Date(Date.now() + offset);
  let store: Store;
  let keys: LicenseSigner;
  let limiter: RateLimit | undefined;
  // TEST_STORE=postgres runs the same tests on a real PostgreSQL: a database per data folder.
  if (process.env.TEST_STORE === 'postgres') {
    const backend = await openPostgres(await sharedDatabase(dataDir), { LICENSE_SERVER_KEY_SECRET: KEY_SECRET }, options.rateLimit ?? 0, clock, () => undefined);
    ({ store, keys, limiter } = backend);
  } else {
    const sqlite = SqliteStore.open(dataDir, { check: true });
    store = sqlite;
    keys = SigningKeys.load(dataDir, await store.hasData());
  }
  const accounts = new Accounts(store);
  if (options.seed) await importSeed(accounts, checkSeed(options.seed, 'seed'), clock());
  const app = buildServer({
    accounts, keys, limiter, rateLimit: options.rateLimit ?? 0, adminToken: options.adminToken === null ? undefined : (options.adminToken ?? ADMIN_TOKEN),
    issuer: 'http://license-server.test', clock, scannerKeys: options.scannerKeys,
  });
  await app.ready();
  return {
    app, accounts, store, keys, dataDir,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

type Target = { url: string } | { app: FastifyInstance };

export async function api(server: Target, method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  let status: number;
  let text: string;
  let resHeaders: Headers;
  if ('app' in server) {
    const res = await server.app.inject({ method: method as 'GET', url: path, headers, payload });
    status = res.statusCode;
    text = res.body;
    resHeaders = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
  } else {
    const res = await fetch(`${server.url}${path}`, { method, headers, body: payload });
    status = res.status;
    text = await res.text();
    resHeaders = res.headers;
  }
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers: resHeaders, json, text };
}

export const activationBody = (over: Record<string, unknown> = {}) => ({ product: 'localstack-pro', version: '1.0.0', ci: false, ciProvider: null, machineId: 'test-machine', ...over });

export const activateVia = (server: Target, token: string, over: Record<string, unknown> = {}) =>
  api(server, 'POST', '/v1/license/activate', { token, body: activationBody(over) });

/** GET a product's health JSON. */
export async function getHealth(base: string): Promise<Health> {
  return (await (await fetch(`${base}/_localstack/health`)).json()) as Health;
}

/** A small tmpfs (as root) that can fill up or turn read-only: the real fault, not a mock. */
export interface Tmpfs {
  dir: string;
  /** Fills every free byte with a file; returns a function that frees them again. */
  fill: () => () => void;
  readOnly: () => void;
  unmount: () => void;
}

/** Mounts a tmpfs of the given size; on CI a machine that cannot mount fails the test instead of skipping it. */
export function mountTmpfs(t: { skip: (message: string) => void }, size = '2m'): Tmpfs | undefined {
  const dir = tempDir('pa-tmpfs-');
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (run.status !== 0) {
    const why = `cannot mount a tmpfs (needs root): ${(run.stderr || run.error?.message || '').trim()}`;
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill: () => {
      const chunk = Buffer.alloc(64 * 1024, 1);
      const fd = openSync(filler, 'a');
      try {
        for (let i = 0; i < 10_000; i++) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
      try {
        // The last partial block, byte by byte in smaller writes.
        for (let i = 0; i < 10_000; i++) writeSync(fd, chunk.subarray(0, 512));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      return () => rmSync(filler, { force: true });
    },
    readOnly: () => {
      const ro = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
      if (ro.status !== 0) throw new Error(`remount read-only failed: ${ro.stderr}`);
    },
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
    },
  };
}

/** Runs the built license server to completion (for start-up failures). */
export function runServer(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'dist/license-server.js'), '--port', '0', ...args], {
    encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, ADMIN_TOKEN, ...env },
  });
}
