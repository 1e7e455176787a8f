// One form of an e-mail address wherever it is stored or compared: a look-alike is the same address, never a second account.
import type { Sql } from '../storage/sql.ts';

/** NFKC (fullwidth ｏ is o), no format characters (zero-width spaces, bidi marks), trimmed, lower case. */
export function normalizeEmail(raw: string): string {
  return raw.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toLowerCase();
}

/** Addresses that became one under normalisation: left as they are, for the operator to settle. */
export interface EmailDuplicate { workspaceId: string; email: string; members: { id: string; email: string }[] }

/**
 * Brings stored addresses to their normal form (migration 8 and every start after it: rows written by an older
 * server). Two members of one workspace whose addresses normalise alike are not touched, and are returned.
 */
export async function normalizeStoredEmails(sql: Sql): Promise<{ changed: number; duplicates: EmailDuplicate[] }> {
  const members = await sql.all<{ id: string; workspace_id: string; email: string }>('SELECT id, workspace_id, email FROM members ORDER BY workspace_id, id');
  const groups = new Map<string, { id: string; email: string }[]>();
  for (const m of members) {
    const key = `${m.workspace_id}\u0000${normalizeEmail(m.email)}`;
    groups.set(key, [...(groups.get(key) ?? []), { id: m.id, email: m.email }]);
  }
  let changed = 0;
  const duplicates: EmailDuplicate[] = [];
  for (const [key, group] of groups) {
    const [workspaceId, email] = key.split('\u0000');
    if (group.length > 1) {
      duplicates.push({ workspaceId, email, members: group });
      continue;
    }
    if (group[0].email === email) continue;
    changed += await sql.run('UPDATE members SET email = ? WHERE id = ?', email, group[0].id);
    await sql.run('UPDATE console_logins SET email = ? WHERE member_id = ?', email, group[0].id);
  }
  return { changed, duplicates };
}

/** One line per duplicate for the operator's log: what it is and what to do. */
export function describeDuplicate(d: EmailDuplicate): string {
  return `workspace ${d.workspaceId} has ${d.members.length} members whose addresses are all ${d.email} once normalised (${d.members.map((m) => `${m.id} ${JSON.stringify(m.email)}`).join(', ')}): ` +
    'each keeps its token and sign-in; remove the extra ones with the admin API (DELETE /admin/v1/members/{id}); the warning stops once one address is left';
}
