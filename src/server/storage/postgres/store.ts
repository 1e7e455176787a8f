import pg from 'pg';
import {
  PG_CONNECT_TIMEOUT_MS, PG_IDLE_IN_TX_TIMEOUT_MS, PG_POOL_MAX, PG_STATEMENT_TIMEOUT_MS, PG_WRITE_LOCK, STORE_BUSY_BUDGET_MS,
} from '../../constants.ts';
import { StoreError, type StoreErrorCode } from '../../errors.ts';
import type { PoolStats } from '../../http/metrics.ts';
import { migratePostgres } from '../migrations.ts';
import { ownerFromRow, ownerQueries, type OwnerColumn, type OwnerRow as BaseOwnerRow } from '../credential-owner-row.ts';
import { GroupCommit } from '../group-commit.ts';
import { BatchedRead } from '../batched-read.ts';
import { ACCOUNT_VERSION_SQL, OwnerCache } from '../owner-cache.ts';
import { numberedPlaceholders, type Sql } from '../sql.ts';
import { AccountReads, withAccountWrites } from '../account-statements.ts';
import type { ActivationRow, CredentialOwner, Store, StoreTx } from '../store.ts';

/** A signing key as stored: the public JWK, and the private part sealed under the key-encryption key. */
export interface SigningKeyRow { kid: string; public_jwk: string; private_key: string | null; created_at: string; retired_at: string | null; staged_at: string | null }


/** The owner row, plus the current signing key id and the account version read in the same statement. */
type OwnerRow = BaseOwnerRow & { k_current: string | null; a_version: string };

/** The current signing key id as read by the newest-started credential lookup (seq orders the reads by start). */
export interface KidObservation { seq: number; started: number; kid: string | undefined }
const CURRENT_KID = '(SELECT kid FROM signing_keys WHERE retired_at IS NULL AND staged_at IS NULL) AS k_current';
const OWNER_SQL = ownerQueries('$1', `, ${CURRENT_KID}, (${ACCOUNT_VERSION_SQL}) AS a_version`);
/** What a kept owner is checked against: the account version, with the current key id for the signer. */
const VERSION_SQL = `SELECT (${ACCOUNT_VERSION_SQL}) AS a_version, ${CURRENT_KID}`;

// SQLSTATE codes (PostgreSQL appendix A) and what they mean to a client of the license server.
const SQLSTATE: Record<string, [StoreErrorCode, string]> = {
  '53300': ['store.unavailable', 'PostgreSQL has no free connection (too many clients)'],
  '57P01': ['store.unavailable', 'PostgreSQL is shutting down (administrator command)'],
  '57P02': ['store.unavailable', 'PostgreSQL is restarting after a crash'],
  '57P03': ['store.unavailable', 'PostgreSQL is starting up or shutting down'],
  '53200': ['store.unavailable', 'PostgreSQL is out of memory'],
  '55P03': ['store.busy', `the write lock has been held by another replica for over ${STORE_BUSY_BUDGET_MS} ms`],
  '57014': ['store.busy', `a statement ran for over ${PG_STATEMENT_TIMEOUT_MS} ms`],
  '40001': ['store.busy', 'a concurrent transaction conflicted'],
  '40P01': ['store.busy', 'a deadlock was broken'],
  '53100': ['store.full', 'the disk holding the database is full'],
  '25006': ['store.read_only', 'the database is read-only (a standby)'],
  '58030': ['store.io', 'the disk holding the database failed a read or write'],
  XX001: ['store.corrupt', 'the database is damaged'],
  XX002: ['store.corrupt', 'an index of the database is damaged'],
  '28P01': ['store.unavailable', 'PostgreSQL refused the password'],
  '28000': ['store.unavailable', 'PostgreSQL refused the user'],
  '3D000': ['store.unavailable', 'the database does not exist'],
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
// node-postgres reports a lost or unobtainable connection with these messages and no code.
const LOST = /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|connection.*(closed|ended)/i;

/** A driver or server error as a StoreError naming the cause; other errors (constraints, bugs) pass unchanged. */
export function toPgStoreError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const e = error as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const known = SQLSTATE[code] ?? (code.startsWith('08') ? ['store.unavailable', 'the connection to PostgreSQL failed'] as const : undefined);
  if (known) return new StoreError(known[0], `${known[1]} (${e.message})`, { cause: error });
  if (NETWORK_CODES.has(code) || LOST.test(e.message ?? '')) {
    return new StoreError('store.unavailable', `PostgreSQL cannot be reached (${code || e.message})`, { cause: error });
  }
  return error;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** The statements of the account model, on the pool (committed data) or on a transaction's client. */
class PgReads extends AccountReads {
  protected readonly db: Queryable;
  protected readonly kidSeen: KidObservation;
  readonly sql: Sql;
  constructor(db: Queryable, kidSeen: KidObservation = { seq: 0, started: 0, kid: undefined }) {
    super();
    this.db = db;
    this.kidSeen = kidSeen;
    this.sql = {
      get: <T,>(text: string, ...p: unknown[]) => this.row(numberedPlaceholders(text), p) as Promise<T | undefined>,
      all: <T,>(text: string, ...p: unknown[]) => this.rows(numberedPlaceholders(text), p) as Promise<T[]>,
      run: (text, ...p) => this.run(numberedPlaceholders(text), p),
    };
  }

  // Public so that the console's store (console/postgres-store.ts) runs its statements on the same connection.
  async rows<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    try {
      // Named: each connection parses and plans a statement once.
      return (await this.db.query<T>({ name: statementName(text), text, values })).rows;
    } catch (error) {
      throw toPgStoreError(error);
    }
  }
  protected async row<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(text, values))[0];
  }
  async run(text: string, values: unknown[] = []): Promise<number> {
    try {
      return (await this.db.query({ name: statementName(text), text, values })).rowCount ?? 0;
    } catch (error) {
      throw toPgStoreError(error);
    }
  }

  async credentialOwner(column: OwnerColumn, hash: string): Promise<CredentialOwner | undefined> {
    return (await this.ownerRow(column, hash))?.owner;
  }

  /** The owner with the account version it was read at (one statement, one snapshot). */
  protected async ownerRow(column: OwnerColumn, hash: string): Promise<{ owner: CredentialOwner; version: string } | undefined> {
    const row = await this.observingKid(() => this.row<OwnerRow>(OWNER_SQL[column], [hash]));
    return row && { owner: ownerFromRow(column, row), version: row.a_version };
  }

  /** A read that returns the current key id: the signer uses it instead of a query of its own (as fresh as this request's read, or fresher). */
  protected async observingKid<T extends { k_current: string | null }>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    const seq = ++this.kidSeen.started;
    const row = await read();
    if (row && seq > this.kidSeen.seq) Object.assign(this.kidSeen, { seq, kid: row.k_current ?? undefined });
    return row;
  }

  /** The signing key in use, by its id: read before every signature, so a rotation on any replica is seen at once. */
  async currentKid(): Promise<string | undefined> {
    return (await this.row<{ kid: string }>('SELECT kid FROM signing_keys WHERE retired_at IS NULL AND staged_at IS NULL'))?.kid;
  }
  /** The ids of the current and the staged key ("current|next"), read before every signature and JWKS: a change on any replica is seen at once. */
  async liveKids(): Promise<string> {
    const rows = await this.rows<{ kid: string; staged: boolean }>('SELECT kid, staged_at IS NOT NULL AS staged FROM signing_keys WHERE retired_at IS NULL');
    return `${rows.find((r) => !r.staged)?.kid ?? ''}|${rows.find((r) => r.staged)?.kid ?? ''}`;
  }
  /** The staged next key, published but not signing, if any. */
  async stagedKid(): Promise<string | undefined> {
    return (await this.row<{ kid: string }>('SELECT kid FROM signing_keys WHERE staged_at IS NOT NULL'))?.kid;
  }
  signingKeys() { return this.rows<SigningKeyRow>('SELECT * FROM signing_keys ORDER BY created_at DESC, kid'); }
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) names.set(text, (name = `s${names.size + 1}`));
  return name;
}

/** A transaction's client, after BEGIN and the write lock. */
class PgTx extends withAccountWrites(PgReads) {
  async insertSigningKey(k: SigningKeyRow) {
    await this.run('INSERT INTO signing_keys (kid, public_jwk, private_key, created_at, retired_at, staged_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [k.kid, k.public_jwk, k.private_key, k.created_at, k.retired_at, k.staged_at]);
  }
  /** The staged key signs from now on (the current one must be retired first: one current key at a time). */
  async promoteSigningKey(kid: string) {
    await this.run('UPDATE signing_keys SET staged_at = NULL WHERE kid = $1', [kid]);
  }
  /** The current key stays published (its public half) but signs no more: its private part is dropped. */
  async retireSigningKey(kid: string, at: string) {
    await this.run('UPDATE signing_keys SET retired_at = $1, private_key = NULL WHERE kid = $2', [at, kid]);
  }
}

export interface PostgresStoreOptions {
  poolMax?: number;
  /** Called with errors of idle connections (PostgreSQL restarted): they are dropped, the pool reconnects. */
  onIdleError?: (error: unknown) => void;
}

/**
 * The store on PostgreSQL, shared by any number of replicas. Account writes take one advisory lock (the
 * twin of SQLite's single writer), so checks such as "a seat is free" hold across replicas; activations
 * are inserted without it, a batch per turn of the event loop, committed before they are answered.
 */
export class PostgresStore extends PgReads implements Store {
  readonly pool: pg.Pool;
  private readonly maxConnections: number;
  // One statement per batch of concurrent activations, committed on its own (synchronous_commit) before any is answered.
  private readonly activationBatch = new GroupCommit<ActivationRow>((batch) => {
    const col = <K extends keyof ActivationRow>(k: K) => batch.map((row) => row[k]);
    return this.track(() => this.run(`INSERT INTO activations (id, workspace_id, subject, at, ci, ci_provider, version, machine_id, pipeline)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])`,
    [col('id'), col('workspace_id'), col('subject'), col('at'), col('ci'), col('ci_provider'), col('version'), col('machine_id'), batch.map((row) => row.pipeline ?? null)]));
  });
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly owners = new OwnerCache();
  // Every known credential of one turn of the event loop checks its kept owner with one read, begun after it arrived.
  private readonly versions = new BatchedRead(() => this.observingKid(() => this.row<{ a_version: string; k_current: string | null }>(VERSION_SQL)));

  /** Opens a pool, checks the connection and applies the migrations; throws a StoreError naming the cause. */
  static async open(connectionString: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const max = options.poolMax ?? PG_POOL_MAX;
    const pool = new pg.Pool({
      connectionString, max, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, keepAlive: true,
      statement_timeout: PG_STATEMENT_TIMEOUT_MS, query_timeout: PG_STATEMENT_TIMEOUT_MS + 1_000,
      idle_in_transaction_session_timeout: PG_IDLE_IN_TX_TIMEOUT_MS, application_name: 'license-server',
    });
    // Without a listener an idle connection that PostgreSQL closes would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    const store = new PostgresStore(pool, max);
    try {
      const client = await pool.connect().catch((error: unknown) => { throw toPgStoreError(error); });
      try {
        await migratePostgres(client);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw toPgStoreError(error);
    }
    return store;
  }

  private constructor(pool: pg.Pool, max: number) {
    super(pool, { seq: 0, started: 0, kid: undefined });
    this.pool = pool;
    this.maxConnections = max;
  }

  /** The current key id seen by the newest credential lookup, if any has run. */
  observedKid(): string | undefined {
    return this.kidSeen.kid;
  }

  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.maxConnections };
  }

  /** One round trip: is PostgreSQL answering? */
  async ping(): Promise<void> {
    await this.run('SELECT 1');
  }

  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx));
  }

  /** BEGIN, the write lock (waited for at most STORE_BUSY_BUDGET_MS), fn, COMMIT; any failure rolls back. */
  transaction<T>(fn: (tx: PgTx) => Promise<T>): Promise<T> {
    return this.track(async () => {
      const client = await this.pool.connect().catch((error: unknown) => { throw toPgStoreError(error); });
      let broken: unknown;
      try {
        await client.query(`BEGIN; SET LOCAL lock_timeout = ${STORE_BUSY_BUDGET_MS}; SELECT pg_advisory_xact_lock(${PG_WRITE_LOCK})`);
        const result = await fn(new PgTx(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        const mapped = toPgStoreError(error);
        if (mapped instanceof StoreError && mapped.code === 'store.unavailable') broken = mapped;
        else await client.query('ROLLBACK').catch((e: unknown) => { broken = e; });
        throw mapped;
      } finally {
        // A connection that failed is destroyed, not returned to the pool.
        client.release(broken instanceof Error ? broken : undefined);
      }
    });
  }

  recordActivation(row: ActivationRow): Promise<void> {
    return this.activationBatch.add(row);
  }

  /**
   * Committed data only (outside a transaction). A known credential's kept owner is used only if the account version
   * read after this call (shared with the other requests of this turn) is the one it was read at: a change committed
   * by any replica, or by anything else, before the request arrived is seen.
   */
  async credentialOwner(column: OwnerColumn, hash: string): Promise<CredentialOwner | undefined> {
    if (this.owners.has(column, hash)) {
      const current = await this.versions.read();
      const kept = current && this.owners.owner(column, hash, current.a_version);
      if (kept) return kept;
    }
    const read = await this.ownerRow(column, hash);
    return read && this.owners.keep(column, hash, read.owner, read.version);
  }

  /** Counts one hit of a rate-limit key in a window (shared by every replica); returns the count so far. */
  async countHit(key: string, windowStart: number): Promise<number> {
    return (await this.row<{ count: number }>(`INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
      ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`, [key, windowStart]))!.count;
  }

  async pruneRateLimits(before: number): Promise<void> {
    await this.run('DELETE FROM rate_limits WHERE window_start < $1', [before]);
  }

  async hasData(): Promise<boolean> {
    return (await this.row<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM workspaces) OR EXISTS (SELECT 1 FROM activations) AS any'))!.any;
  }

  private track<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    const settled = p.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return p;
  }

  /** Commits what is pending, waits for what is in flight, then closes every connection. */
  async close(): Promise<void> {
    await this.activationBatch.drain();
    await Promise.all(this.inFlight);
    await this.pool.end();
  }
}

export type { PgTx };
