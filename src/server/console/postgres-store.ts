import { AccountOps } from '../accounts/model.ts';
import type { PgTx, PostgresStore } from '../storage/postgres/store.ts';
import type { RateLimit } from '../http/rate-limit.ts';
import { SharedRateLimiter } from '../http/shared-rate-limit.ts';
import type { ConsoleStore, ConsoleWrites, Invitation, Login, Session } from './store.ts';

/** Where the statements run: the pool (committed data) or the client of a transaction that holds the write lock. */
type Sql = Pick<PgTx, 'rows' | 'run'>;

/** The console's statements on PostgreSQL, on whatever connection they are given. */
class PgWrites implements ConsoleWrites {
  protected readonly sql: Sql;
  constructor(sql: Sql) {
    this.sql = sql;
  }

  loginsByEmail(email: string) {
    return this.sql.rows<Login>('SELECT * FROM console_logins WHERE email = $1 ORDER BY created_at, member_id', [email]);
  }
  async setLogin(l: Login) {
    await this.sql.run(`INSERT INTO console_logins (member_id, email, password_hash, token_box, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (member_id) DO UPDATE SET email = excluded.email, password_hash = excluded.password_hash, token_box = excluded.token_box`,
    [l.member_id, l.email, l.password_hash, l.token_box, l.created_at]);
  }
  async setTokenBox(memberId: string, tokenBox: string | null) {
    await this.sql.run('UPDATE console_logins SET token_box = $1 WHERE member_id = $2', [tokenBox, memberId]);
  }
  async createSession(s: Session) {
    await this.sql.run('INSERT INTO console_sessions (id_hash, member_id, key_box, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [s.id_hash, s.member_id, s.key_box, s.created_at, s.expires_at]);
  }
  async deleteSession(idHash: string) {
    await this.sql.run('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
  }
  async deleteSessionsOf(memberId: string) {
    await this.sql.run('DELETE FROM console_sessions WHERE member_id = $1', [memberId]);
  }
  async deleteExpiredSessions(nowIso: string) {
    await this.sql.run('DELETE FROM console_sessions WHERE expires_at <= $1', [nowIso]);
  }
  async createInvitation(i: Invitation) {
    await this.sql.run('INSERT INTO console_invitations (code_hash, member_id, token_box, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [i.code_hash, i.member_id, i.token_box, i.created_at, i.expires_at]);
  }
  async takeInvitation(codeHash: string, nowIso: string) {
    // DELETE … RETURNING: of two replicas racing for one code, the row lock lets one take it.
    const [row] = await this.sql.rows<Invitation>('DELETE FROM console_invitations WHERE code_hash = $1 RETURNING *', [codeHash]);
    return row && row.expires_at > nowIso ? row : undefined;
  }
}

/**
 * The console's tables in the shared PostgreSQL database (migration 4), so that any replica serves any session.
 * Writes take the store's write path (its transaction and advisory lock), as SQLite's go through its write queue;
 * reads use the pool and see committed rows, whichever replica wrote them.
 */
export class PostgresConsoleStore extends PgWrites implements ConsoleStore {
  private readonly store: PostgresStore;
  /** The same statements on the pool, for reads. */
  constructor(store: PostgresStore) {
    super(store);
    this.store = store;
  }

  private locked(fn: (writes: PgWrites) => Promise<void>): Promise<void> {
    return this.store.transaction((tx) => fn(new PgWrites(tx)));
  }

  override setLogin(l: Login) { return this.locked((w) => w.setLogin(l)); }
  override setTokenBox(memberId: string, tokenBox: string | null) { return this.locked((w) => w.setTokenBox(memberId, tokenBox)); }
  override createSession(s: Session) { return this.locked((w) => w.createSession(s)); }
  override deleteSession(idHash: string) { return this.locked((w) => w.deleteSession(idHash)); }
  override deleteSessionsOf(memberId: string) { return this.locked((w) => w.deleteSessionsOf(memberId)); }
  override deleteExpiredSessions(nowIso: string) { return this.locked((w) => w.deleteExpiredSessions(nowIso)); }
  override createInvitation(i: Invitation) { return this.locked((w) => w.createInvitation(i)); }
  override takeInvitation(codeHash: string, nowIso: string) {
    return this.store.transaction((tx) => new PgWrites(tx).takeInvitation(codeHash, nowIso));
  }

  transaction<T>(fn: (accounts: AccountOps, console: ConsoleWrites) => Promise<T>): Promise<T> {
    return this.store.transaction((tx) => fn(new AccountOps(tx), new PgWrites(tx)));
  }

  async login(memberId: string) {
    return (await this.store.rows<Login>('SELECT * FROM console_logins WHERE member_id = $1', [memberId]))[0];
  }
  async session(idHash: string) {
    return (await this.store.rows<Session>('SELECT * FROM console_sessions WHERE id_hash = $1', [idHash]))[0];
  }

  /** Counted in PostgreSQL (the API's rate-limit table): a client cannot spread its guesses over the replicas. */
  rateLimiter(limit: number): RateLimit {
    return new SharedRateLimiter(this.store, limit);
  }
}
