import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export const DB_FILE = 'license.db';
const ACTIVATION_BATCH = 256;
const ACTIVATION_FLUSH_MS = 50;

export type Role = 'owner' | 'admin' | 'member';

export interface WorkspaceRow { id: string; name: string; created_at: string }
export interface MemberRow {
  id: string; workspace_id: string; email: string; role: Role; licensed: number;
  token_hash: string; token_mask: string; legacy_key_hash: string | null;
}
export interface CiTokenRow { id: string; workspace_id: string; name: string; token_hash: string; token_mask: string; created_at: string }
export interface LicenseRow {
  workspace_id: string; id: string; type: 'trial' | 'subscription'; plan: string;
  seats: number | null; starts_at: string | null; expires_at: string | null;
}
export interface ActivationRow {
  id: string; workspace_id: string; subject: string; at: string; ci: number; ci_provider: string | null; version: string | null; machine_id: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL, role TEXT NOT NULL, licensed INTEGER NOT NULL DEFAULT 0,
  token_hash TEXT NOT NULL UNIQUE, token_mask TEXT NOT NULL, legacy_key_hash TEXT UNIQUE,
  UNIQUE (workspace_id, email));
CREATE TABLE IF NOT EXISTS ci_tokens (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, token_mask TEXT NOT NULL, created_at TEXT NOT NULL,
  UNIQUE (workspace_id, name));
CREATE TABLE IF NOT EXISTS licenses (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE, id TEXT NOT NULL,
  type TEXT NOT NULL, plan TEXT NOT NULL, seats INTEGER, starts_at TEXT, expires_at TEXT);
CREATE TABLE IF NOT EXISTS activations (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL,
  ci INTEGER NOT NULL, ci_provider TEXT, version TEXT, machine_id TEXT);
CREATE INDEX IF NOT EXISTS activations_ws ON activations (workspace_id, at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** The server's SQLite database: prepared statements, no business rules. */
export class Store {
  readonly db: DatabaseSync;
  private readonly stmts: Record<string, ReturnType<DatabaseSync['prepare']>> = {};
  private pending: ActivationRow[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new DatabaseSync(join(dataDir, DB_FILE));
    // WAL + NORMAL: durable across crashes of the process, and fast enough for thousands of activations a second.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
  }

  private stmt(sql: string) {
    return (this.stmts[sql] ??= this.db.prepare(sql));
  }

  private get<T>(sql: string, ...params: (string | number | null)[]): T | undefined {
    return this.stmt(sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, ...params: (string | number | null)[]): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  private run(sql: string, ...params: (string | number | null)[]): number {
    return Number(this.stmt(sql).run(...params).changes);
  }

  /** Runs fn in one transaction: all or nothing. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    this.flushActivations();
    this.db.close();
  }

  workspace(id: string) { return this.get<WorkspaceRow>('SELECT * FROM workspaces WHERE id = ?', id); }
  workspaces() { return this.all<WorkspaceRow>('SELECT * FROM workspaces ORDER BY id'); }
  upsertWorkspace(id: string, name: string, createdAt: string) {
    this.run('INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name', id, name, createdAt);
  }

  member(id: string) { return this.get<MemberRow>('SELECT * FROM members WHERE id = ?', id); }
  memberByEmail(workspaceId: string, email: string) {
    return this.get<MemberRow>('SELECT * FROM members WHERE workspace_id = ? AND email = ?', workspaceId, email);
  }
  memberByTokenHash(hash: string) { return this.get<MemberRow>('SELECT * FROM members WHERE token_hash = ?', hash); }
  memberByLegacyHash(hash: string) { return this.get<MemberRow>('SELECT * FROM members WHERE legacy_key_hash = ?', hash); }
  members(workspaceId: string) { return this.all<MemberRow>('SELECT * FROM members WHERE workspace_id = ? ORDER BY email', workspaceId); }
  licensedCount(workspaceId: string) {
    return this.get<{ n: number }>('SELECT count(*) AS n FROM members WHERE workspace_id = ? AND licensed = 1', workspaceId)!.n;
  }
  insertMember(m: MemberRow) {
    this.run('INSERT INTO members (id, workspace_id, email, role, licensed, token_hash, token_mask, legacy_key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      m.id, m.workspace_id, m.email, m.role, m.licensed, m.token_hash, m.token_mask, m.legacy_key_hash);
  }
  updateMember(id: string, fields: Partial<Pick<MemberRow, 'role' | 'licensed' | 'token_hash' | 'token_mask' | 'legacy_key_hash'>>) {
    for (const [column, value] of Object.entries(fields)) {
      this.run(`UPDATE members SET ${column} = ? WHERE id = ?`, value as string | number | null, id);
    }
  }

  ciToken(workspaceId: string, id: string) { return this.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? AND id = ?', workspaceId, id); }
  ciTokenByName(workspaceId: string, name: string) { return this.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? AND name = ?', workspaceId, name); }
  ciTokenByHash(hash: string) { return this.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE token_hash = ?', hash); }
  ciTokens(workspaceId: string) { return this.all<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? ORDER BY created_at, name', workspaceId); }
  insertCiToken(t: CiTokenRow) {
    this.run('INSERT INTO ci_tokens (id, workspace_id, name, token_hash, token_mask, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      t.id, t.workspace_id, t.name, t.token_hash, t.token_mask, t.created_at);
  }
  setCiTokenHash(id: string, hash: string, mask: string) { this.run('UPDATE ci_tokens SET token_hash = ?, token_mask = ? WHERE id = ?', hash, mask, id); }
  deleteCiToken(workspaceId: string, id: string) { return this.run('DELETE FROM ci_tokens WHERE workspace_id = ? AND id = ?', workspaceId, id); }

  license(workspaceId: string) { return this.get<LicenseRow>('SELECT * FROM licenses WHERE workspace_id = ?', workspaceId); }
  upsertLicense(l: LicenseRow) {
    this.run(`INSERT INTO licenses (workspace_id, id, type, plan, seats, starts_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (workspace_id) DO UPDATE SET type = excluded.type, plan = excluded.plan, seats = excluded.seats,
      starts_at = excluded.starts_at, expires_at = excluded.expires_at`,
      l.workspace_id, l.id, l.type, l.plan, l.seats, l.starts_at, l.expires_at);
  }

  /** Activation records are written behind, a batch per transaction: one commit per activation would halve throughput. */
  recordActivation(a: ActivationRow) {
    this.pending.push(a);
    if (this.pending.length >= ACTIVATION_BATCH) this.flushActivations();
    else this.flushTimer ??= setTimeout(() => this.flushActivations(), ACTIVATION_FLUSH_MS).unref();
  }
  flushActivations() {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.transaction(() => {
      for (const a of batch) {
        this.run('INSERT INTO activations (id, workspace_id, subject, at, ci, ci_provider, version, machine_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          a.id, a.workspace_id, a.subject, a.at, a.ci, a.ci_provider, a.version, a.machine_id);
      }
    });
  }
  activations(workspaceId: string, limit: number) {
    this.flushActivations();
    return this.all<ActivationRow>('SELECT * FROM activations WHERE workspace_id = ? ORDER BY at DESC LIMIT ?', workspaceId, limit);
  }

  setting(key: string) { return this.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key)?.value; }
  setSetting(key: string, value: string) {
    this.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }
}
