import { SECRET_SCANNING } from '../../constants.ts';
import { ciTokenLeaks, memberLeaks, type LeakedCredentialRow } from '../../storage/leaks.ts';
import type { Console, SignedIn } from '../context.ts';
import { canManageCiTokens } from '../permissions.ts';
import type { LeakEventView } from '../views/leak-events.ts';

const view = (row: LeakedCredentialRow): LeakEventView => ({
  kind: row.kind, mask: row.token_mask, name: row.subject_name, foundAt: row.found_at, where: row.found_where, action: row.action,
});

/** The viewer's own leaked credentials, and the workspace's leaked CI tokens for those who manage CI tokens; newest first. */
export async function leakEvents(c: Console, s: SignedIn): Promise<LeakEventView[]> {
  const sql = c.accounts.store.sql;
  const own = await memberLeaks(sql, s.member.id, SECRET_SCANNING.eventsShown);
  const ci = canManageCiTokens(s.member.role) ? await ciTokenLeaks(sql, s.workspace.id, SECRET_SCANNING.eventsShown) : [];
  return [...own, ...ci].sort((a, b) => b.found_at.localeCompare(a.found_at)).map(view);
}
