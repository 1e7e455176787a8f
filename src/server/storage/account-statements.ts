// The account model's statements, written once for both stores: portable SQL run through each store's Sql (sql.ts).
import type { Sql, SqlValue } from './sql.ts';
import type { OwnerColumn } from './credential-owner-row.ts';
import type { ActivationRow, CiTokenRow, CredentialOwner, LicenseRow, MemberFields, MemberRow, StoreReads, StoreTx, WorkspaceRow } from './store.ts';

const MEMBER_COLUMNS = new Set(['role', 'licensed', 'token_hash', 'token_mask', 'legacy_key_hash']);

/** The account model's reads on one connection; each store adds the activation's credential lookup, tuned for its engine. */
export abstract class AccountReads implements StoreReads {
  abstract readonly sql: Sql;
  abstract credentialOwner(column: OwnerColumn, hash: string): Promise<CredentialOwner | undefined>;

  workspace(id: string) { return this.sql.get<WorkspaceRow>('SELECT * FROM workspaces WHERE id = ?', id); }
  workspaces() { return this.sql.all<WorkspaceRow>('SELECT * FROM workspaces ORDER BY id'); }
  member(id: string) { return this.sql.get<MemberRow>('SELECT * FROM members WHERE id = ?', id); }
  memberByEmail(workspaceId: string, email: string) {
    return this.sql.get<MemberRow>('SELECT * FROM members WHERE workspace_id = ? AND email = ?', workspaceId, email);
  }
  memberByTokenHash(hash: string) { return this.sql.get<MemberRow>('SELECT * FROM members WHERE token_hash = ?', hash); }
  memberByLegacyHash(hash: string) { return this.sql.get<MemberRow>('SELECT * FROM members WHERE legacy_key_hash = ?', hash); }
  members(workspaceId: string) { return this.sql.all<MemberRow>('SELECT * FROM members WHERE workspace_id = ? ORDER BY email', workspaceId); }
  async licensedCount(workspaceId: string) {
    return (await this.sql.get<{ n: number }>('SELECT CAST(count(*) AS INTEGER) AS n FROM members WHERE workspace_id = ? AND licensed = 1', workspaceId))!.n;
  }
  ciToken(workspaceId: string, id: string) { return this.sql.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? AND id = ?', workspaceId, id); }
  ciTokenByName(workspaceId: string, name: string) { return this.sql.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? AND name = ?', workspaceId, name); }
  ciTokenByHash(hash: string) { return this.sql.get<CiTokenRow>('SELECT * FROM ci_tokens WHERE token_hash = ?', hash); }
  ciTokens(workspaceId: string) { return this.sql.all<CiTokenRow>('SELECT * FROM ci_tokens WHERE workspace_id = ? ORDER BY created_at, name', workspaceId); }
  license(workspaceId: string) { return this.sql.get<LicenseRow>('SELECT * FROM licenses WHERE workspace_id = ?', workspaceId); }
  activations(workspaceId: string, limit: number) {
    return this.sql.all<ActivationRow>('SELECT * FROM activations WHERE workspace_id = ? ORDER BY at DESC, id LIMIT ?', workspaceId, limit);
  }
  async setting(key: string) { return (await this.sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key))?.value; }
}

// A mixin's base constructor takes whatever its class takes.
type ReadsClass = abstract new (...args: any[]) => AccountReads;

/** The account model's writes, mixed into a store's transaction class (which already extends that store's reads). */
export function withAccountWrites<Base extends ReadsClass>(base: Base) {
  abstract class AccountWrites extends base implements StoreTx {
    async upsertWorkspace(id: string, name: string, createdAt: string) {
      await this.sql.run('INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name', id, name, createdAt);
    }
    async insertMember(m: MemberRow) {
      await this.sql.run('INSERT INTO members (id, workspace_id, email, role, licensed, token_hash, token_mask, legacy_key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        m.id, m.workspace_id, m.email, m.role, m.licensed, m.token_hash, m.token_mask, m.legacy_key_hash);
    }
    async updateMember(id: string, fields: MemberFields) {
      for (const [column, value] of Object.entries(fields)) {
        // Column names come from the MemberFields type; the set guards against anything else reaching the SQL.
        if (!MEMBER_COLUMNS.has(column)) throw new Error(`not a member column: ${column}`);
        await this.sql.run(`UPDATE members SET ${column} = ? WHERE id = ?`, value as SqlValue, id);
      }
    }
    async insertCiToken(t: CiTokenRow) {
      await this.sql.run('INSERT INTO ci_tokens (id, workspace_id, name, token_hash, token_mask, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        t.id, t.workspace_id, t.name, t.token_hash, t.token_mask, t.created_at);
    }
    async setCiTokenHash(id: string, hash: string, mask: string) {
      await this.sql.run('UPDATE ci_tokens SET token_hash = ?, token_mask = ? WHERE id = ?', hash, mask, id);
    }
    deleteCiToken(workspaceId: string, id: string) { return this.sql.run('DELETE FROM ci_tokens WHERE workspace_id = ? AND id = ?', workspaceId, id); }
    async upsertLicense(l: LicenseRow) {
      await this.sql.run(`INSERT INTO licenses (workspace_id, id, type, plan, seats, starts_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (workspace_id) DO UPDATE SET type = excluded.type, plan = excluded.plan, seats = excluded.seats,
        starts_at = excluded.starts_at, expires_at = excluded.expires_at`,
        l.workspace_id, l.id, l.type, l.plan, l.seats, l.starts_at, l.expires_at);
    }
    async setSetting(key: string, value: string) {
      await this.sql.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
    }
  }
  return AccountWrites;
}
