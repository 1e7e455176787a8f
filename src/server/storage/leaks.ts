// Secret scanning's rows (issue 19), written once as portable SQL for both stores.
import type { Sql } from './sql.ts';

export type LeakAction = 'rotated' | 'deleted' | 'revoked';

/** A credential revoked because a scanner found it in public; kept by its hash only. */
export interface LeakedCredentialRow {
  token_hash: string;
  kind: 'developer' | 'ci' | 'legacy';
  token_mask: string;
  workspace_id: string;
  /** The member's id (developer token, legacy key) or the CI token's id. */
  subject_id: string;
  /** The member's email or the CI token's name, for the console. */
  subject_name: string;
  action: LeakAction;
  found_at: string;
  /** Host and path of the URL it was found at, masked and bounded. */
  found_where: string;
  source: string;
  alert_id: string;
}

/** One alert as audited: counts and labels, never a credential (tokens only masked). */
export interface AlertRow {
  id: string;
  received_at: string;
  key_id: string;
  tokens: number;
  true_positives: number;
  false_positives: number;
  /** JSON: [{"token": masked, "type", "label"}]. */
  labels: string;
}

const LEAK_COLUMNS = 'token_hash, kind, token_mask, workspace_id, subject_id, subject_name, action, found_at, found_where, source, alert_id';

export function leakedCredential(sql: Sql, tokenHash: string): Promise<LeakedCredentialRow | undefined> {
  return sql.get<LeakedCredentialRow>(`SELECT ${LEAK_COLUMNS} FROM leaked_credentials WHERE token_hash = ?`, tokenHash);
}

/** Inserts once: a second report of the same credential keeps the first. */
export function insertLeakedCredential(sql: Sql, row: LeakedCredentialRow): Promise<number> {
  return sql.run(`INSERT INTO leaked_credentials (${LEAK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`,
    row.token_hash, row.kind, row.token_mask, row.workspace_id, row.subject_id, row.subject_name, row.action, row.found_at, row.found_where, row.source, row.alert_id);
}

/** A member's own leaks (developer token, legacy key), newest first. */
export function memberLeaks(sql: Sql, memberId: string, limit: number): Promise<LeakedCredentialRow[]> {
  return sql.all<LeakedCredentialRow>(`SELECT ${LEAK_COLUMNS} FROM leaked_credentials WHERE subject_id = ? AND kind <> 'ci' ORDER BY found_at DESC LIMIT ?`, memberId, limit);
}

/** A workspace's leaked CI tokens, newest first. */
export function ciTokenLeaks(sql: Sql, workspaceId: string, limit: number): Promise<LeakedCredentialRow[]> {
  return sql.all<LeakedCredentialRow>(`SELECT ${LEAK_COLUMNS} FROM leaked_credentials WHERE workspace_id = ? AND kind = 'ci' ORDER BY found_at DESC LIMIT ?`, workspaceId, limit);
}

export function insertAlert(sql: Sql, row: AlertRow): Promise<number> {
  return sql.run('INSERT INTO secret_scanning_alerts (id, received_at, key_id, tokens, true_positives, false_positives, labels) VALUES (?, ?, ?, ?, ?, ?, ?)',
    row.id, row.received_at, row.key_id, row.tokens, row.true_positives, row.false_positives, row.labels);
}

export function recentAlerts(sql: Sql, limit: number): Promise<AlertRow[]> {
  return sql.all<AlertRow>('SELECT id, received_at, key_id, tokens, true_positives, false_positives, labels FROM secret_scanning_alerts ORDER BY received_at DESC, id DESC LIMIT ?', limit);
}
