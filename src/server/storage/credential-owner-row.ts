import type { CiTokenRow, CredentialOwner, LicenseRow, MemberRow, WorkspaceRow } from './store.ts';

// One read per activation for both stores: a credential's owner joined with its workspace and license.

/** A member's or CI token's row joined with its workspace (w_) and license (l_) columns. */
export type OwnerRow = Partial<MemberRow> & Partial<CiTokenRow> & {
  id: string; workspace_id: string; token_hash: string; token_mask: string; w_name: string; w_created_at: string;
  l_id: string | null; l_type: LicenseRow['type'] | null; l_plan: string | null; l_seats: number | null; l_starts_at: string | null; l_expires_at: string | null;
};

export type OwnerColumn = 'token_hash' | 'legacy_key_hash' | 'ci_token_hash';

/** The joined SELECT for each credential column; `param` is the engine's placeholder, `extra` more columns to read. */
export function ownerQueries(param: string, extra = ''): Record<OwnerColumn, string> {
  const sql = (table: string, column: string) => `SELECT o.*, w.name AS w_name, w.created_at AS w_created_at, l.id AS l_id, l.type AS l_type,
  l.plan AS l_plan, l.seats AS l_seats, l.starts_at AS l_starts_at, l.expires_at AS l_expires_at${extra}
  FROM ${table} o JOIN workspaces w ON w.id = o.workspace_id LEFT JOIN licenses l ON l.workspace_id = o.workspace_id WHERE o.${column} = ${param}`;
  return { token_hash: sql('members', 'token_hash'), legacy_key_hash: sql('members', 'legacy_key_hash'), ci_token_hash: sql('ci_tokens', 'token_hash') };
}

export function ownerFromRow(column: OwnerColumn, row: OwnerRow): CredentialOwner {
  const workspace: WorkspaceRow = { id: row.workspace_id, name: row.w_name, created_at: row.w_created_at };
  const license: LicenseRow | undefined = row.l_id == null ? undefined : {
    workspace_id: row.workspace_id, id: row.l_id, type: row.l_type!, plan: row.l_plan!, seats: row.l_seats, starts_at: row.l_starts_at, expires_at: row.l_expires_at,
  };
  if (column === 'ci_token_hash') {
    return { kind: 'ci', workspace, license, ciToken: { id: row.id, workspace_id: row.workspace_id, name: row.name!, token_hash: row.token_hash, token_mask: row.token_mask, created_at: row.created_at! } };
  }
  return {
    kind: 'member', workspace, license,
    member: { id: row.id, workspace_id: row.workspace_id, email: row.email!, role: row.role!, licensed: row.licensed!, token_hash: row.token_hash, token_mask: row.token_mask, legacy_key_hash: row.legacy_key_hash ?? null },
  };
}
