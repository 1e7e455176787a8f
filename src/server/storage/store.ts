// The store's one interface: the account model and the routes talk to this, never to SQL.
// Every method is async so that a PostgreSQL backend (issue 11) can implement the same interface.

import type { Sql } from './sql.ts';

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
  /** An activation by an ID token: the pipeline's identity as JSON ({repository, ref, run}); null otherwise. */
  pipeline?: string | null;
}
export type MemberFields = Partial<Pick<MemberRow, 'role' | 'licensed' | 'token_hash' | 'token_mask' | 'legacy_key_hash'>>;

/** The account a credential hash belongs to, with its workspace and license row, read at once. */
export type CredentialOwner =
  | { kind: 'member'; member: MemberRow; workspace: WorkspaceRow; license: LicenseRow | undefined }
  | { kind: 'ci'; ciToken: CiTokenRow; workspace: WorkspaceRow; license: LicenseRow | undefined };

/** Reads. Outside a transaction they see committed data only. */
export interface StoreReads {
  /** Portable SQL on this connection or transaction: a new table's statements are written once, for both stores. */
  readonly sql: Sql;
  /** The hot path of every activation: one read instead of three. */
  credentialOwner(column: 'token_hash' | 'legacy_key_hash' | 'ci_token_hash', hash: string): Promise<CredentialOwner | undefined>;
  workspace(id: string): Promise<WorkspaceRow | undefined>;
  workspaces(): Promise<WorkspaceRow[]>;
  member(id: string): Promise<MemberRow | undefined>;
  memberByEmail(workspaceId: string, email: string): Promise<MemberRow | undefined>;
  memberByTokenHash(hash: string): Promise<MemberRow | undefined>;
  memberByLegacyHash(hash: string): Promise<MemberRow | undefined>;
  members(workspaceId: string): Promise<MemberRow[]>;
  licensedCount(workspaceId: string): Promise<number>;
  ciToken(workspaceId: string, id: string): Promise<CiTokenRow | undefined>;
  ciTokenByName(workspaceId: string, name: string): Promise<CiTokenRow | undefined>;
  ciTokenByHash(hash: string): Promise<CiTokenRow | undefined>;
  ciTokens(workspaceId: string): Promise<CiTokenRow[]>;
  license(workspaceId: string): Promise<LicenseRow | undefined>;
  activations(workspaceId: string, limit: number): Promise<ActivationRow[]>;
  setting(key: string): Promise<string | undefined>;
}

/** Writes happen only inside a transaction; its reads see its own writes. */
export interface StoreTx extends StoreReads {
  upsertWorkspace(id: string, name: string, createdAt: string): Promise<void>;
  insertMember(m: MemberRow): Promise<void>;
  updateMember(id: string, fields: MemberFields): Promise<void>;
  insertCiToken(t: CiTokenRow): Promise<void>;
  setCiTokenHash(id: string, hash: string, mask: string): Promise<void>;
  /** The number of rows deleted (0 or 1). */
  deleteCiToken(workspaceId: string, id: string): Promise<number>;
  upsertLicense(l: LicenseRow): Promise<void>;
  setSetting(key: string, value: string): Promise<void>;
}

export interface Store extends StoreReads {
  /**
   * Runs fn in one serialised transaction: all of it or nothing. A store that stays locked or cannot
   * write rejects with a StoreError (answered 503 with Retry-After), never a hang.
   */
  write<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Resolves once the row is committed (group commit: one transaction per batch of concurrent calls). */
  recordActivation(row: ActivationRow): Promise<void>;
  /** True when the store holds any account: a missing signing key must then not be replaced silently. */
  hasData(): Promise<boolean>;
  close(): Promise<void>;
}
