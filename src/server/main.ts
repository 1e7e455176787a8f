#!/usr/bin/env node
import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import { makeFolders } from '../core/files.ts';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CodedError } from '../core/errors.ts';
import { Accounts } from './accounts/model.ts';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildServer, type ServerOptions } from './http/app.ts';
import { OIDC, SERVER_DEFAULTS, SERVER_EXIT, SHUTDOWN_GRACE_MS } from './constants.ts';
import { OidcVerifier } from './oidc/verifier.ts';
import { fileStoreError, SeedError, ServerConfigError, StoreError } from './errors.ts';
import { describeDuplicate, normalizeStoredEmails } from './accounts/email.ts';
import { importSeed, readSeed } from './accounts/seed.ts';
import { keyFilePermissionWarning, SigningKeys } from './signing/keys.ts';
import { keyLoader, ScannerKeys } from './secret-scanning/keys.ts';
import { SqliteStore } from './storage/sqlite/store.ts';
import { checkDatabaseUrl, openPostgres, postgresStartupError, type PostgresBackend } from './storage/postgres/backend.ts';
import type { Store } from './storage/store.ts';

const D = SERVER_DEFAULTS;
const USAGE = `usage: license-server [--host ${D.host}] [--port ${D.port}] [--data-dir ${D.dataDir}] [--seed FILE] [--rate-limit N (default ${D.rateLimit})] [--issuer URL]
                      [--database postgres://USER@HOST:PORT/DB] [--secret-scanning-keys FILE_OR_HTTPS_URL]
                      [--oidc-issuer URL]... [--oidc-audience VALUE]

Environment: ADMIN_TOKEN enables the admin API under /admin/v1. DATABASE_URL is --database's default.
With --database, LICENSE_SERVER_KEY_SECRET (or LICENSE_SERVER_KEY_SECRET_FILE) encrypts the shared signing keys.
LOG_LEVEL=info turns on the JSON access log on stdout.
--secret-scanning-keys (or SECRET_SCANNING_KEYS) turns on POST /v1/secret-scanning/alerts, verified with that key document.
CI ID tokens (OIDC) are accepted from ${OIDC.builtInIssuers.join(' and ')}, and from each --oidc-issuer (https);
their audience must be --oidc-audience, by default the --issuer URL.`;

const usageError = (message: string) => new ServerConfigError('server.usage', message, SERVER_EXIT.usage);

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: D.host },
      port: { type: 'string', default: String(D.port) },
      'data-dir': { type: 'string', default: D.dataDir },
      seed: { type: 'string' },
      'rate-limit': { type: 'string', default: String(D.rateLimit) },
      issuer: { type: 'string' },
      database: { type: 'string' },
      'secret-scanning-keys': { type: 'string' },
      'oidc-issuer': { type: 'string', multiple: true, default: [] },
      'oidc-audience': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw usageError(`--port must be 0–65535, not ${values.port}`);
  const rateLimit = Number(values['rate-limit']);
  if (!/^\d+$/.test(values['rate-limit']) || !Number.isSafeInteger(rateLimit)) throw usageError(`--rate-limit must be a whole number ≥ 0, not ${values['rate-limit']}`);
  const database = values.database ?? (process.env.DATABASE_URL || undefined);
  for (const issuer of values['oidc-issuer']) {
    if (!URL.canParse(issuer) || new URL(issuer).protocol !== 'https:') throw usageError(`--oidc-issuer must be an https URL (an issuer's "iss"), not ${issuer}`);
  }
  if (values['oidc-audience'] === '') throw usageError('--oidc-audience must not be empty');
  const scanningKeys = values['secret-scanning-keys'] ?? (process.env.SECRET_SCANNING_KEYS || undefined);
  return { ...values, port, rateLimit, dataDir: resolve(values['data-dir']), database: database && checkDatabaseUrl(database), scanningKeys };
}

/** A test-only clock: LICENSE_SERVER_NOW sets the starting instant, time then runs on from it. */
function clockFrom(env: NodeJS.ProcessEnv): () => Date {
  const start = env.LICENSE_SERVER_NOW ? Date.parse(env.LICENSE_SERVER_NOW) : NaN;
  if (env.LICENSE_SERVER_NOW && Number.isNaN(start)) throw usageError(`LICENSE_SERVER_NOW must be an ISO-8601 time, not ${env.LICENSE_SERVER_NOW}`);
  if (Number.isNaN(start)) return () => new Date();
  const offset = start - Date.now();
  return () => new Date(Date.now() + offset);
}

/** mkdir -p says ENOENT on a read-only file system: the nearest existing folder tells the real cause. */
function mkdirCause(dataDir: string, cause: unknown): unknown {
  if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') return cause;
  let dir = dirname(dataDir);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch (error) {
    return error;
  }
  return cause;
}

/** The data folder exists and can be written; otherwise one line that names the folder and the cause. */
function prepareDataDir(dataDir: string): void {
  try {
    makeFolders(dataDir, 0o700);
    accessSync(dataDir, fsConstants.W_OK);
  } catch (error) {
    const cause = mkdirCause(dataDir, error);
    const known = startupStoreError(fileStoreError(cause, `the data folder ${dataDir} cannot be used`), dataDir);
    if (known instanceof ServerConfigError) throw known;
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ServerConfigError('store.data_dir', `the data folder ${dataDir} cannot be created or used (${code}); give the server a writable --data-dir, then start again`, SERVER_EXIT.cannotWrite, { cause });
  }
}

/** A store failure at start as the line an operator acts on; nothing has been overwritten. */
function startupStoreError(error: unknown, dataDir: string): unknown {
  if (!(error instanceof StoreError)) return error;
  const fix: Record<string, string> = {
    'store.full': 'free space on that disk, then start again',
    'store.read_only': 'give the server a writable --data-dir, then start again',
    'store.io': 'check the disk, then start again',
    'store.corrupt': 'restore license.db from a backup, or move it away to start empty',
    'store.busy': 'stop the other program that holds the database, then start again',
    'store.schema': 'run the newer server that wrote it, or restore license.db from a backup',
  };
  const exit = error.code === 'store.corrupt' || error.code === 'store.schema' ? SERVER_EXIT.data : error.code === 'store.busy' ? SERVER_EXIT.unavailable : SERVER_EXIT.cannotWrite;
  const where = error.message.includes(dataDir) ? '' : `${dataDir}: `;
  return new ServerConfigError(error.code, `${where}${error.message}; ${fix[error.code] ?? 'see the cause above'}`, exit, { cause: error });
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new ServerConfigError('server.port_in_use', `port ${port} on ${host} is in use by another program; stop it or choose another --port`, SERVER_EXIT.unavailable);
  if (code === 'EACCES') return new ServerConfigError('server.port_denied', `listening on ${host}:${port} is not permitted; choose a --port above 1023`, SERVER_EXIT.unavailable);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new ServerConfigError('server.bad_host', `${host} is not an address of this machine; choose another --host`, SERVER_EXIT.usage);
  return error;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`license-server: ${(error as Error).message}\n${USAGE}`);
    return SERVER_EXIT.usage;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const clock = clockFrom(process.env);
  // A bad key file stops the start now; a URL is fetched at the first alert, so GitHub's availability never blocks a start.
  const scannerKeys = args.scanningKeys
    ? new ScannerKeys({ ...keyLoader(args.scanningKeys), nowMs: () => Date.now(), warn: (line) => console.error(line) })
    : undefined;
  // The seed is read and checked before anything in the data folder is touched.
  const seed = args.seed ? readSeed(args.seed) : undefined;
  let store: Store;
  let keys: SigningKeys | PostgresBackend['keys'];
  let shared: PostgresBackend | undefined;
  if (args.database) {
    shared = await openPostgres(args.database, process.env, args.rateLimit, clock, (line) => console.error(line));
    ({ store, keys } = shared);
  } else {
    prepareDataDir(args.dataDir);
    try {
      store = SqliteStore.open(args.dataDir, { check: true });
    } catch (error) {
      throw startupStoreError(error, args.dataDir);
    }
  }
  const failedAtStart = (error: unknown) => (args.database ? postgresStartupError(error, args.database) : startupStoreError(error, args.dataDir));
  try {
    const accounts = new Accounts(store);
    if (!shared) {
      try {
        keys = SigningKeys.load(args.dataDir, await store.hasData());
      } catch (error) {
        throw startupStoreError(fileStoreError(error, 'the signing key cannot be saved'), args.dataDir);
      }
      const keyWarning = keyFilePermissionWarning(args.dataDir);
      if (keyWarning) console.error(`license-server: warning: ${keyWarning}`);
    }
    // One small write at start: a full disk or a read-only database is said now, not at the first activation.
    await store.write((tx) => tx.setSetting('started_at', clock().toISOString())).catch((error: unknown) => {
      throw failedAtStart(error);
    });
    // Addresses stored by an older server, in their normal form; look-alike duplicates are reported, never merged.
    const emails = await store.write((tx) => normalizeStoredEmails(tx.sql)).catch((error: unknown) => { throw failedAtStart(error); });
    for (const d of emails.duplicates) console.error(`license-server: warning: ${describeDuplicate(d)}`);
    if (seed) await importSeed(accounts, seed, clock()).catch((error: unknown) => { throw failedAtStart(error); });
    const options: ServerOptions = {
      accounts, keys: keys!, rateLimit: args.rateLimit, adminToken: process.env.ADMIN_TOKEN || undefined, issuer: args.issuer ?? '', clock, scannerKeys,
      ...accessLog(process.env.LOG_LEVEL),
      oidc: new OidcVerifier([...new Set([...OIDC.builtInIssuers, ...args['oidc-issuer']])], () => args['oidc-audience'] ?? options.issuer),
      ...(shared && { limiter: shared.limiter, ping: () => shared.store.ping(), poolStats: () => shared.store.poolStats() }),
    };
    const app = buildServer(options);
    try {
      await app.listen({ host: args.host, port: args.port });
    } catch (error) {
      throw listenError(error, args.host, args.port);
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : args.port;
    const host = args.host.includes(':') ? `[${args.host}]` : args.host;
    // The issuer is read per request, so a picked port (--port 0) is known before the first activation.
    if (!args.issuer) options.issuer = `http://${host}:${port}`;
    console.log(`license server listening on http://${host}:${port}`);
    await new Promise<void>((done) => {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    });
    // Stop accepting, finish what is in flight (their activations commit), then close the database.
    await closeGracefully(app);
  } finally {
    await store.close();
  }
  return 0;
}

/**
 * app.close() waits for every open connection. A keep-alive connection that finishes its last request after
 * the close began is closed as soon as it is idle; whatever still runs after SHUTDOWN_GRACE_MS is cut off.
 */
async function closeGracefully(app: FastifyInstance): Promise<void> {
  const idle = setInterval(() => app.server.closeIdleConnections(), 50);
  const cutoff = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearInterval(idle);
    clearTimeout(cutoff);
  }
}

/**
 * LOG_LEVEL=info (or debug, trace) turns on the JSON access log on stdout, buffered (4 KiB) and written
 * asynchronously. Off by default: it costs about 30 µs of CPU per request (measured by bench:server).
 */
function accessLog(level = 'warn'): Pick<ServerOptions, 'log'> {
  if (!['info', 'debug', 'trace'].includes(level)) return {};
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  process.once('exit', () => stream.flushSync());
  return { log: { level, stream } };
}

function exitCodeOf(error: unknown): number {
  if (error instanceof ServerConfigError) return error.exitCode;
  if (error instanceof SeedError) return SERVER_EXIT.data;
  return SERVER_EXIT.internal;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`license-server: ${error instanceof CodedError ? `${error.message} [${error.code}]` : (error as Error).stack}`);
    process.exit(exitCodeOf(error));
  },
);
