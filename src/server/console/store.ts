import type { DatabaseSync } from 'node:sqlite';
import { AccountOps } from '../accounts/model.ts';
import { RateLimiter, type RateLimit } from '../http/rate-limit.ts';
import type { Store } from '../storage/store.ts';

/** token_box: the member's developer token sealed with the key its password gives (passwords.ts); null when unknown. */
export interface Login { member_id: string; email: string; password_hash: string; token_box: string | null; created_at: string }
/** key_box: the member's password key sealed with a key from the cookie, which the server does not keep. */
export interface Session { id_hash: string; member_id: string; key_box: string; created_at: string; expires_at: string }
/** token_box: the new member's developer token sealed with a key from the code, when the console created it. */
export interface Invitation { code_hash: string; member_id: string; token_box: string | null; created_at: string; expires_at: string }

export interface ConsoleWrites {
  /** Inside a transaction: sees what committed before the write lock was taken, so two sign-ups cannot both pass. */
  loginsByEmail(email: string): Promise<Login[]>;
  /** Sets (or replaces) the password of one membership. */
  setLogin(login: Login): Promise<void>;
  setTokenBox(memberId: string, tokenBox: string | null): Promise<void>;
  createSession(session: Session): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsOf(memberId: string): Promise<void>;
  deleteExpiredSessions(nowIso: string): Promise<void>;
  createInvitation(invitation: Invitation): Promise<void>;
  /** One-time: the invitation is gone once taken, and an expired one is never returned. */
  takeInvitation(codeHash: string, nowIso: string): Promise<Invitation | undefined>;
}

/**
 * What the console keeps of its own: passwords, sessions, invitations. Accounts, seats and tokens stay in
 * the server's account model. Async throughout so that a PostgreSQL backend can implement it.
 */
export interface ConsoleStore extends ConsoleWrites {
  login(memberId: string): Promise<Login | undefined>;
  session(idHash: string): Promise<Session | undefined>;
  /** Account operations and console writes in one transaction: a sign-up or a rotation happens whole or not at all. */
  transaction<T>(fn: (accounts: AccountOps, console: ConsoleWrites) => Promise<T>): Promise<T>;
  /** Sign-in attempts counted where every server on this database sees them (one process on SQLite). */
  rateLimiter(limit: number): RateLimit;
}

type Param = string | null;

/** The statements, run on whatever connection state they are given: inside a transaction that is open, or as their own. */
class SqliteWrites implements ConsoleWrites {
  protected readonly db: DatabaseSync;
  protected readonly exec: <T>(statement: () => T) => Promise<T>;
  constructor(db: DatabaseSync, exec: <T>(statement: () => T) => Promise<T>) {
    this.db = db;
    this.exec = exec;
  }

  private run(sql: string, ...params: Param[]): Promise<void> {
    return this.exec(() => void this.db.prepare(sql).run(...params));
  }

  async loginsByEmail(email: string) {
    return this.db.prepare('SELECT * FROM console_logins WHERE email = ? ORDER BY created_at').all(email) as unknown as Login[];
  }
  setLogin(l: Login) {
    return this.run(`INSERT INTO console_logins (member_id, email, password_hash, token_box, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (member_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash, token_box = excluded.token_box`,
    l.member_id, l.email, l.password_hash, l.token_box, l.created_at);
  }
  setTokenBox(memberId: string, tokenBox: string | null) {
    return this.run('UPDATE console_logins SET token_box = ? WHERE member_id = ?', tokenBox, memberId);
  }
  createSession(s: Session) {
    return this.run('INSERT INTO console_sessions (id_hash, member_id, key_box, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      s.id_hash, s.member_id, s.key_box, s.created_at, s.expires_at);
  }
  deleteSession(idHash: string) {
    return this.run('DELETE FROM console_sessions WHERE id_hash = ?', idHash);
  }
  deleteSessionsOf(memberId: string) {
    return this.run('DELETE FROM console_sessions WHERE member_id = ?', memberId);
  }
  deleteExpiredSessions(nowIso: string) {
    return this.run('DELETE FROM console_sessions WHERE expires_at <= ?', nowIso);
  }
  createInvitation(i: Invitation) {
    return this.run('INSERT INTO console_invitations (code_hash, member_id, token_box, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      i.code_hash, i.member_id, i.token_box, i.created_at, i.expires_at);
  }
  async takeInvitation(codeHash: string, nowIso: string) {
    // DELETE … RETURNING is one statement: two tabs racing for one code cannot both win.
    const row = await this.exec(() => this.db.prepare('DELETE FROM console_invitations WHERE code_hash = ? RETURNING *').get(codeHash) as unknown as Invitation | undefined);
    return row && row.expires_at > nowIso ? row : undefined;
  }
}

/**
 * The console's tables in the server's SQLite database (same file, own tables, migration 4). Every write
 * goes through the store's write queue, on its write connection, so it never races the store's transactions.
 */
export class SqliteConsoleStore extends SqliteWrites implements ConsoleStore {
  private readonly write: Store['write'];
  /** The same statements, for use inside a transaction the store has already opened. */
  private readonly inside: SqliteWrites;

  constructor(db: DatabaseSync, write: Store['write']) {
    super(db, (statement) => write(async () => statement()));
    this.write = write;
    this.inside = new SqliteWrites(db, async (statement) => statement());
  }

  rateLimiter(limit: number): RateLimit {
    return new RateLimiter(limit);
  }

  transaction<T>(fn: (accounts: AccountOps, console: ConsoleWrites) => Promise<T>): Promise<T> {
    return this.write((tx) => fn(new AccountOps(tx), this.inside));
  }

  async login(memberId: string) {
    return this.db.prepare('SELECT * FROM console_logins WHERE member_id = ?').get(memberId) as unknown as Login | undefined;
  }
  async session(idHash: string) {
    return this.db.prepare('SELECT * FROM console_sessions WHERE id_hash = ?').get(idHash) as unknown as Session | undefined;
  }
}
