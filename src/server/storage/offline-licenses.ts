// The offline licenses' statements (issue 21), written once for both stores through the portable SQL layer.
import type { Sql } from './sql.ts';

export interface OfflineLicenseRow {
  id: string; workspace_id: string; name: string; seats: number; kid: string; sha256: string;
  issued_by: string; issued_at: string; not_before: string; expires_at: string;
}

const COLUMNS = 'id, workspace_id, name, seats, kid, sha256, issued_by, issued_at, not_before, expires_at';

export async function insertOfflineLicense(sql: Sql, row: OfflineLicenseRow): Promise<void> {
  await sql.run(`INSERT INTO offline_licenses (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id, row.workspace_id, row.name, row.seats, row.kid, row.sha256, row.issued_by, row.issued_at, row.not_before, row.expires_at);
}

/** The workspace's offline licenses, newest first: the audit list. */
export function offlineLicenses(sql: Sql, workspaceId: string): Promise<OfflineLicenseRow[]> {
  return sql.all<OfflineLicenseRow>(`SELECT ${COLUMNS} FROM offline_licenses WHERE workspace_id = ? ORDER BY issued_at DESC, id`, workspaceId);
}

/** The seats taken by offline licenses still valid at `now` (RFC 3339 text compares in time order). */
export async function offlineSeatsTaken(sql: Sql, workspaceId: string, now: Date): Promise<number> {
  const row = await sql.get<{ n: number | string | null }>(
    'SELECT CAST(COALESCE(SUM(seats), 0) AS INTEGER) AS n FROM offline_licenses WHERE workspace_id = ? AND expires_at > ?', workspaceId, now.toISOString());
  return Number(row?.n ?? 0);
}

/** The keys that signed offline licenses still valid at `now`, each with the last end: what pinned images must keep trusting. */
export function offlineLicenseKeys(sql: Sql, now: Date): Promise<{ kid: string; until: string; count: number }[]> {
  return sql.all(
    'SELECT kid, MAX(expires_at) AS until, CAST(count(*) AS INTEGER) AS count FROM offline_licenses WHERE expires_at > ? GROUP BY kid ORDER BY until DESC', now.toISOString());
}
