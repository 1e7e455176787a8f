import { statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { ACCOUNT_VERSION_POLL_MS, STORE_BUSY_BUDGET_MS, STORE_RETRY_FIRST_MS, STORE_RETRY_MAX_MS, WAL_CHECKPOINT_INTERVAL_MS, WAL_FALLBACK_CHECKPOINT_PAGES } from '../../constants.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';
import { StoreError, type StoreErrorCode } from '../../errors.ts';
import { migrateSqlite } from '../migrations.ts';
import { ownerFromRow, ownerQueries, type OwnerColumn, type OwnerRow } from '../credential-owner-row.ts';
import { GroupCommit } from '../group-commit.ts';
import { ACCOUNT_VERSION_SQL, OwnerCache } from '../owner-cache.ts';
import { ActivationWriter, fileIdentity, SQLITE_READONLY_DBMOVED, type FileIdentity } from './activation-writer.ts';
import type { Sql } from '../sql.ts';
import { AccountReads, withAccountWrites } from '../account-statements.ts';
import type { ActivationRow, CredentialOwner, Store, StoreTx } from '../store.ts';

export const DB_FILE = 'license.db';


// The account version read in the same statement as the owner: what the owner cache keeps it under.
const OWNER_SQL = ownerQueries('?', `, (${ACCOUNT_VERSION_SQL}) AS a_version`);

/** The account version an ACCOUNT_VERSION_SQL statement reads. */
const versionFrom = (statement: StatementSync) => (statement.get() as { version: number }).version;

// SQLite's primary result codes (the low byte of an extended code).
const SQLITE = { BUSY: 5, LOCKED: 6, READONLY: 8, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, NOTADB: 26 } as const;

const STORE_CODES: Record<number, [StoreErrorCode, string]> = {
  [SQLITE.BUSY]: ['store.busy', 'the database is locked by another program'],
  [SQLITE.LOCKED]: ['store.busy', 'the database is locked by another program'],
  [SQLITE.FULL]: ['store.full', 'the disk holding the database is full'],
  [SQLITE.READONLY]: ['store.read_only', 'the database is read-only'],
  [SQLITE.CANTOPEN]: ['store.read_only', 'the database file cannot be opened for writing'],
  [SQLITE.IOERR]: ['store.io', 'the disk holding the database failed a read or write'],
  [SQLITE.CORRUPT]: ['store.corrupt', 'the database is damaged'],
  [SQLITE.NOTADB]: ['store.corrupt', 'the database file is not a SQLite database or its header is damaged'],
};

const MOVED: [StoreErrorCode, string] = ['store.io', 'the database file was deleted or replaced while the server had it open; restore it, then restart the server'];

function sqliteCode(error: unknown): number | undefined {
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === 'number' ? errcode & 0xff : undefined;
}

/** SQLite reports some writes to a full disk (the -shm file) as a plain I/O error; the file system says which it is. */
function diskIsFull(dir: string | undefined): boolean {
  try {
    return dir !== undefined && statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}

/** The engine's error as a StoreError that names the real cause; other errors (constraints, bugs) pass unchanged. */
export function toStoreError(error: unknown, dir?: string): unknown {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error) ?? -1;
  const known = (error as { errcode?: unknown }).errcode === SQLITE_READONLY_DBMOVED ? MOVED
    : STORE_CODES[code === SQLITE.IOERR && diskIsFull(dir) ? SQLITE.FULL : code];
  if (!known) return error;
  const detail = (error as { errstr?: string }).errstr ?? (error as Error).message;
  return new StoreError(known[0], `${known[1]} (${detail})`, { cause: error });
}

const isBusy = (error: unknown) => {
  const code = sqliteCode(error);
  return code === SQLITE.BUSY || code === SQLITE.LOCKED;
};

/** The statements of the account model on one connection. */
class SqliteReads extends AccountReads {
  protected readonly conn: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();
  readonly sql: Sql;
  constructor(conn: DatabaseSync) {
    super();
    this.conn = conn;
    this.sql = { get: (text, ...p) => this.get(text, ...p), all: (text, ...p) => this.all(text, ...p), run: (text, ...p) => this.run(text, ...p) };
  }

  private stmt(sql: string): StatementSync {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs one statement; a lock held by another program is waited for asynchronously, never by blocking the event loop. */
  protected async attempt<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + STORE_BUSY_BUDGET_MS;
    for (let delay = STORE_RETRY_FIRST_MS; ; delay = Math.min(delay * 2, STORE_RETRY_MAX_MS)) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error) || Date.now() + delay > deadline) throw toStoreError(error);
      }
      await sleep(delay);
    }
  }

  protected get<T>(sql: string, ...params: SQLInputValue[]): Promise<T | undefined> {
    return this.attempt(() => this.stmt(sql).get(...params) as T | undefined);
  }
  protected all<T>(sql: string, ...params: SQLInputValue[]): Promise<T[]> {
    return this.attempt(() => this.stmt(sql).all(...params) as T[]);
  }
  protected run(sql: string, ...params: SQLInputValue[]): Promise<number> {
    return this.attempt(() => Number(this.stmt(sql).run(...params).changes));
  }

  async credentialOwner(column: OwnerColumn, hash: string): Promise<CredentialOwner | undefined> {
    return (await this.ownerRow(column, hash))?.owner;
  }

  /** The owner with the account version it was read at (one statement, one snapshot). */
  protected async ownerRow(column: OwnerColumn, hash: string): Promise<{ owner: CredentialOwner; version: number } | undefined> {
    const row = await this.get<OwnerRow & { a_version: number }>(OWNER_SQL[column], hash);
    return row && { owner: ownerFromRow(column, row), version: row.a_version };
  }
}

/** The write connection inside BEGIN IMMEDIATE … COMMIT. */
class SqliteTx extends withAccountWrites(SqliteReads) {
  /** BEGIN IMMEDIATE, waiting asynchronously (within the budget) while another program holds the write lock. */
  async begin(deadline: number): Promise<void> {
    for (let delay = STORE_RETRY_FIRST_MS; ; delay = Math.min(delay * 2, STORE_RETRY_MAX_MS)) {
      try {
        this.conn.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw toStoreError(error);
        if (Date.now() + delay > deadline) {
          throw new StoreError('store.busy', `the database has been locked by another program for over ${STORE_BUSY_BUDGET_MS} ms`, { cause: error });
        }
      }
      await sleep(delay);
    }
  }

  commit(): void {
    this.conn.exec('COMMIT');
  }

  /** After a failed statement or COMMIT SQLite may have rolled back already; a second ROLLBACK would hide the real cause. */
  rollback(): void {
    if (!this.conn.isTransaction) return;
    try {
      this.conn.exec('ROLLBACK');
    } catch {
      // The original error is what the caller reports; the connection is left as SQLite left it.
    }
  }
}

export interface SqliteStoreOptions {
  /** Run PRAGMA quick_check at open (start-up): damaged pages are found before the first request. */
  check?: boolean;
}

/**
 * The embedded store: one SQLite file in WAL mode, a read connection that sees committed data only and
 * a write connection whose transactions run one at a time, and a thread that commits activations. WAL with
 * synchronous=FULL keeps every committed transaction across a crash of the process or of the machine.
 */
export class SqliteStore extends SqliteReads implements Store {
  readonly path: string;
  private readonly tx: SqliteTx;
  private readonly writer: DatabaseSync;
  private queue: Promise<unknown> = Promise.resolve();
  // One transaction per batch of concurrent activations, committed (fsync) on the writer thread before any is answered.
  private readonly activationBatch = new GroupCommit<ActivationRow>((rows) => this.activationWriter.write(rows).catch((error: unknown) => {
    throw toStoreError(error, dirname(this.path));
  }));
  private readonly activationWriter: ActivationWriter;
  private readonly file: FileIdentity;
  private readonly owners = new OwnerCache();
  /** The account version last seen: after this server's own writes at once, another program's within a poll. */
  private accountVersion: number;
  /** The account version as committed now, on the write connection: read after every write transaction. */
  private readonly committedVersion: StatementSync;
  private readonly versionPoll: NodeJS.Timeout;

  /** Opens (creating if needed) the database under dataDir; throws a StoreError naming the cause. */
  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
    const path = join(dataDir, DB_FILE);
    let writer: DatabaseSync | undefined;
    let reader: DatabaseSync | undefined;
    try {
      writer = new DatabaseSync(path);
      // busy_timeout 0: a held lock is waited for by async retries, never by blocking the event loop.
      writer.exec('PRAGMA busy_timeout = 0; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
      // The checkpointer thread keeps the WAL short; the writer's own checkpoint (which stalls it) is only a fallback.
      writer.exec(`PRAGMA wal_autocheckpoint = ${WAL_FALLBACK_CHECKPOINT_PAGES}`);
      if (options.check) {
        const rows = writer.prepare('PRAGMA quick_check').all() as { quick_check: string }[];
        if (rows[0]?.quick_check !== 'ok') {
          throw new StoreError('store.corrupt', `the database is damaged (quick_check: ${rows.slice(0, 3).map((r) => r.quick_check.replace(/\s+/g, ' ')).join('; ')})`);
        }
      }
      migrateSqlite(writer);
      reader = new DatabaseSync(path);
      reader.exec('PRAGMA busy_timeout = 0; PRAGMA foreign_keys = ON;');
      return new SqliteStore(path, reader, writer, startWalCheckpointer(path, WAL_CHECKPOINT_INTERVAL_MS));
    } catch (error) {
      reader?.close();
      writer?.close();
      throw toStoreError(error, dataDir);
    }
  }

  private readonly checkpointer: { stop: () => Promise<void> };

  private constructor(path: string, reader: DatabaseSync, writer: DatabaseSync, checkpointer: { stop: () => Promise<void> }) {
    super(reader);
    this.path = path;
    this.writer = writer;
    this.checkpointer = checkpointer;
    this.tx = new SqliteTx(writer);
    this.file = fileIdentity(path);
    this.activationWriter = new ActivationWriter(path, STORE_BUSY_BUDGET_MS, this.file);
    this.committedVersion = writer.prepare(ACCOUNT_VERSION_SQL);
    this.accountVersion = versionFrom(this.committedVersion);
    const poll = reader.prepare(ACCOUNT_VERSION_SQL);
    this.versionPoll = setInterval(() => {
      try {
        const version = versionFrom(poll);
        if (version > this.accountVersion) this.accountVersion = version;
      } catch {
        // A locked or failing read: the next poll tries again, the owners kept meanwhile stay as they were.
      }
    }, ACCOUNT_VERSION_POLL_MS).unref();
  }

  /** The write connection, for tables of other parts of the server (e.g. the console) that create their own schema. */
  get db(): DatabaseSync {
    return this.writer;
  }

  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.exclusive((tx) => fn(tx));
  }

  private exclusive<T>(fn: (tx: SqliteTx) => Promise<T>): Promise<T> {
    const deadline = Date.now() + STORE_BUSY_BUDGET_MS;
    const run = this.queue.then(async () => {
      this.checkFile();
      await this.tx.begin(deadline);
      try {
        const result = await fn(this.tx);
        this.tx.commit();
        this.sawOwnWrite();
        return result;
      } catch (error) {
        this.tx.rollback();
        throw toStoreError(error, dirname(this.path));
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** SQLite in WAL mode writes on into a file deleted or replaced under it: nothing is confirmed that a restart cannot find. */
  private checkFile(): void {
    const now = statSync(this.path, { throwIfNoEntry: false });
    if (!now || now.dev !== this.file.dev || now.ino !== this.file.ino) throw new StoreError(MOVED[0], MOVED[1]);
  }

  recordActivation(row: ActivationRow): Promise<void> {
    return this.activationBatch.add(row);
  }

  /**
   * Committed data only (outside a transaction). A known credential reads nothing: its owner is kept at the account
   * version this server last saw, which its own writes update before they are answered and a timer re-reads for
   * writes by another program (see ACCOUNT_VERSION_POLL_MS).
   */
  async credentialOwner(column: OwnerColumn, hash: string): Promise<CredentialOwner | undefined> {
    const kept = this.owners.owner(column, hash, this.accountVersion);
    if (kept) return kept;
    const read = await this.ownerRow(column, hash);
    if (!read) return undefined;
    // Versions only grow: one newer than the last seen means a write by another program, whose owners are stale now.
    if (read.version > this.accountVersion) this.accountVersion = read.version;
    return this.owners.keep(column, hash, read.owner, read.version);
  }

  /**
   * After a commit, before the write is answered: the next activation uses no owner kept from before it. Should the
   * read fail, the version is unknown (-1) and the next owner read sets it; the commit stands either way.
   */
  private sawOwnWrite(): void {
    try {
      this.accountVersion = versionFrom(this.committedVersion);
    } catch {
      this.accountVersion = -1;
    }
  }

  async hasData(): Promise<boolean> {
    return (await this.get<{ n: number }>('SELECT (SELECT count(*) FROM workspaces) + (SELECT count(*) FROM activations) AS n'))!.n > 0;
  }

  private closing: Promise<void> | undefined;

  /** Commits what is pending, then closes; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.versionPoll);
    await this.activationBatch.drain();
    await this.activationWriter.close();
    await this.queue;
    await this.checkpointer.stop();
    this.writer.close();
    this.conn.close();
  }
}
