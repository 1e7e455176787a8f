// The statements of trusted CI identities (OIDC) and of ID tokens used, written once for both stores.
import type { Sql } from './sql.ts';

export interface CiTrustRow {
  id: string; workspace_id: string; name: string; issuer: string;
  /** JSON: {claim: value}. */
  conditions: string;
  /** The condition that pins the repository or its owner, as "claim=value": what a token is looked up by. */
  pin: string;
  created_at: string;
}

/** A trust that an ID token may match, with its workspace and license row (one read: the activation's hot path). */
export interface CiTrustCandidate extends CiTrustRow {
  ws_name: string; ws_created_at: string;
  l_id: string | null; l_type: 'trial' | 'subscription' | null; l_plan: string | null; l_seats: number | null;
  l_starts_at: string | null; l_expires_at: string | null;
}

export const insertCiTrust = (sql: Sql, t: CiTrustRow) => sql.run(
  'INSERT INTO ci_trusts (id, workspace_id, name, issuer, conditions, pin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  t.id, t.workspace_id, t.name, t.issuer, t.conditions, t.pin, t.created_at);

export const ciTrustByName = (sql: Sql, workspaceId: string, name: string) =>
  sql.get<CiTrustRow>('SELECT * FROM ci_trusts WHERE workspace_id = ? AND name = ?', workspaceId, name);

export const ciTrustsOf = (sql: Sql, workspaceId: string) =>
  sql.all<CiTrustRow>('SELECT * FROM ci_trusts WHERE workspace_id = ? ORDER BY created_at, name', workspaceId);

export const deleteCiTrust = (sql: Sql, workspaceId: string, id: string) =>
  sql.run('DELETE FROM ci_trusts WHERE workspace_id = ? AND id = ?', workspaceId, id);

/** How many pins one query compares: every pin claim a token may carry (unused places bind NULL, which equals nothing). */
export const PIN_SLOTS = 12;
const CANDIDATES = `SELECT t.*, w.name AS ws_name, w.created_at AS ws_created_at,
  l.id AS l_id, l.type AS l_type, l.plan AS l_plan, l.seats AS l_seats, l.starts_at AS l_starts_at, l.expires_at AS l_expires_at
  FROM ci_trusts t JOIN workspaces w ON w.id = t.workspace_id LEFT JOIN licenses l ON l.workspace_id = t.workspace_id
  WHERE t.issuer = ? AND t.pin IN (${Array(PIN_SLOTS).fill('?').join(', ')}) ORDER BY t.created_at, t.id`;

/** The trusts of an issuer whose pin is one of `pins` ("claim=value" of the token), oldest first. */
export function ciTrustCandidates(sql: Sql, issuer: string, pins: string[]): Promise<CiTrustCandidate[]> {
  const slots = [...pins.slice(0, PIN_SLOTS), ...Array<null>(Math.max(0, PIN_SLOTS - pins.length)).fill(null)];
  return sql.all<CiTrustCandidate>(CANDIDATES, issuer, ...slots);
}

/** Uses recorded by one statement at most (so at most this many statement texts exist). */
export const USES_PER_STATEMENT = 64;

/**
 * Records the uses of token keys; returns the keys seen for the first time (a key twice in `uses` is recorded once).
 * One multi-row statement per USES_PER_STATEMENT: the activation's hot path records a batch of concurrent uses at once.
 */
export async function recordUses(sql: Sql, uses: { key: string; expiresAt: string }[]): Promise<Set<string>> {
  const first = new Set<string>();
  for (let i = 0; i < uses.length; i += USES_PER_STATEMENT) {
    const chunk = uses.slice(i, i + USES_PER_STATEMENT);
    const rows = await sql.all<{ token_key: string }>(
      `INSERT INTO oidc_token_uses (token_key, expires_at) VALUES ${chunk.map(() => '(?, ?)').join(', ')} ON CONFLICT (token_key) DO NOTHING RETURNING token_key`,
      ...chunk.flatMap((u) => [u.key, u.expiresAt]));
    for (const r of rows) first.add(r.token_key);
  }
  return first;
}

/** Forgets the uses of tokens that have expired (a replay of them is refused as expired anyway). */
export const forgetExpiredUses = (sql: Sql, now: string) => sql.run('DELETE FROM oidc_token_uses WHERE expires_at < ?', now);
