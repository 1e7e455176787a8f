// Start-up on PostgreSQL: the pool and its migrations, the shared signing keys, the shared rate limit.
import { setTimeout as sleep } from 'node:timers/promises';
import { PG_STARTUP_WAIT_MS, SERVER_EXIT } from '../../constants.ts';
import { ServerConfigError, StoreError } from '../../errors.ts';
import { keyEncryptionKey } from '../../signing/key-encryption.ts';
import { PostgresStore } from './store.ts';
import { SharedRateLimiter } from '../../http/shared-rate-limit.ts';
import { SharedSigningKeys } from '../../signing/shared-keys.ts';

export interface PostgresBackend {
  store: PostgresStore;
  keys: SharedSigningKeys;
  limiter: SharedRateLimiter;
}

/** The URL as it may be printed: a password in it becomes ****. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '(a value that is not a URL)';
  }
}

/** Checks --database / DATABASE_URL before anything is opened. */
export function checkDatabaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ServerConfigError('server.usage', '--database must be a URL such as postgres://USER@HOST:5432/DB', SERVER_EXIT.usage);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ServerConfigError('server.usage', `--database must be a postgres:// URL, not ${u.protocol}//…; without it the server uses SQLite under --data-dir`, SERVER_EXIT.usage);
  }
  return url;
}

/** A store failure at start as one line naming the database (never its password) and what to do. */
export function postgresStartupError(error: unknown, url: string): unknown {
  if (!(error instanceof StoreError)) return error;
  const fix = error.code === 'store.schema' ? '; run the newer server that wrote it, or restore a backup' : error.code === 'store.unavailable' ? '; start PostgreSQL or fix --database, then start again' : '; see the cause, then start again';
  return new ServerConfigError(error.code, `PostgreSQL at ${redactUrl(url)}: ${error.message}${fix}`,
    error.code === 'store.unavailable' ? SERVER_EXIT.unavailable : SERVER_EXIT.data, { cause: error });
}

/** A wrong user, password or database name does not get better by waiting. */
const wrongSettings = (error: StoreError) => ['28P01', '28000', '3D000'].includes((error.cause as { code?: string } | undefined)?.code ?? '');

/**
 * Opens the store (waiting a little for a PostgreSQL that is still starting, as in a compose file), applies
 * the migrations and loads the shared signing keys.
 */
export async function openPostgres(url: string, env: NodeJS.ProcessEnv, rateLimit: number, clock: () => Date, log: (line: string) => void): Promise<PostgresBackend> {
  const kek = keyEncryptionKey(env);
  const deadline = Date.now() + PG_STARTUP_WAIT_MS;
  let store: PostgresStore | undefined;
  for (let delay = 250; !store; delay = Math.min(delay * 2, 2_000)) {
    try {
      store = await PostgresStore.open(url, { onIdleError: (error) => log(`license-server: a PostgreSQL connection was lost (${(error as Error).message}); reconnecting`) });
    } catch (error) {
      const waiting = error instanceof StoreError && error.code === 'store.unavailable' && !wrongSettings(error) && Date.now() + delay < deadline;
      if (!waiting) throw postgresStartupError(error, url);
      if (delay === 250) log(`license-server: waiting for PostgreSQL at ${redactUrl(url)} (${error.message})`);
      await sleep(delay);
    }
  }
  try {
    const keys = await SharedSigningKeys.load(store, kek, clock);
    return { store, keys, limiter: new SharedRateLimiter(store, rateLimit) };
  } catch (error) {
    await store.close();
    throw postgresStartupError(error, url);
  }
}
