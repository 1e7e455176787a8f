// A real PostgreSQL server for the tests: Debian's binaries, a temporary data folder, loopback only, a free port.
// initdb refuses root, so the server runs as the `postgres` system user when the tests run as root.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from './net.ts';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { atExit, tempDir } from './cleanup.ts';

export interface Postgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres: the admin database. */
  adminUrl: string;
  port: number;
  /** A fresh empty database of its own, as a connection URL. */
  createDatabase: (name?: string) => Promise<string>;
  /** Stops the server at once (like a crash: no checkpoint), as an operator's restart or an outage would. */
  stop: () => void;
  /** Starts it again on the same port and data. */
  start: () => void;
  /** Runs SQL on the admin database, e.g. to make a fault. */
  query: (sql: string, db?: string) => Promise<pg.QueryResult>;
  /** Stops the server and removes its data. */
  destroy: () => void;
  /** The server's processes (postmaster and its children), e.g. to measure their CPU time. */
  pids: () => number[];
}

const running = new Set<Postgres>();
// Stopped before the temporary folders go: its data folder belongs to the postgres user as root.
atExit(() => {
  for (const p of running) p.destroy();
});

/** Debian's newest installed server binaries, or undefined. */
export function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

/** As root, the postgres system user runs the server (initdb refuses root); otherwise the current user does. */
function asServerUser(cmd: string[]): string[] {
  return userInfo().uid === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
}

function run(cmd: string[], what: string): void {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
}

/**
 * Starts a real PostgreSQL, or skips the test where it is not installed (on CI, where .ci/run installs it, a
 * missing server fails the test instead).
 */
export async function startPostgres(t: { skip: (message: string) => void }, options: { maxConnections?: number } = {}): Promise<Postgres | undefined> {
  const bin = binDir();
  if (!bin) {
    const why = 'PostgreSQL is not installed (apt-get install postgresql)';
    if (process.env.CI === 'true') throw new Error(why);
    t.skip(why);
    return undefined;
  }
  const dir = tempDir('pa-pg-');
  const data = join(dir, 'data');
  if (userInfo().uid === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(ids.stdout), Number(gids.stdout));
  }
  run(asServerUser([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']), 'initdb');
  const port = await freePort();
  const opts = [
    `-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${dir}`, `-c max_connections=${options.maxConnections ?? 100}`,
    // Tests need durability of each commit (a SIGKILLed replica), not of the machine: keep fsync off for speed.
    '-c fsync=off', '-c full_page_writes=off', '-c shared_buffers=32MB',
  ].join(' ');
  const log = join(dir, 'server.log');
  const start = () => run(asServerUser([join(bin, 'pg_ctl'), '-D', data, '-l', log, '-o', opts, '-w', '-t', '30', 'start']), 'pg_ctl start');
  const stop = () => run(asServerUser([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']), 'pg_ctl stop');
  start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const query = async (sql: string, db = 'postgres') => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/${db}` });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let counter = 0;
  const p: Postgres = {
    adminUrl,
    port,
    createDatabase: async (name = `t${process.pid}_${++counter}`) => {
      await query(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    query,
    pids: () => {
      const main = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = spawnSync('pgrep', ['-P', String(main)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      return [main, ...children];
    },
    destroy: () => {
      running.delete(p);
      try {
        stop();
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(p);
  return p;
}

/** Where PostgreSQL is installed; on CI its absence is an error (the caller fails), elsewhere a reason to skip. */
export function postgresMissing(): string | undefined {
  return binDir() ? undefined : 'PostgreSQL is not installed (apt-get install postgresql)';
}

/** A key-encryption secret for the shared signing keys, as an operator would generate it. */
export const KEY_SECRET = 'test-key-encryption-secret-0123456789abcdef';

let shared: Promise<Postgres> | undefined;
const databases = new Map<string, Promise<string>>();

/**
 * One PostgreSQL per test process, started on first use; a database per key (a test's data folder), so a
 * test that "restarts" on the same folder finds its data again.
 */
export function sharedDatabase(key: string): Promise<string> {
  shared ??= startPostgres({ skip: (m) => { throw new Error(m); } }).then((p) => p!);
  let db = databases.get(key);
  if (!db) databases.set(key, (db = shared.then((p) => p.createDatabase())));
  return db;
}
