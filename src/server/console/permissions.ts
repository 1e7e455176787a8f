import { CI_MANAGERS, MEMBER_MANAGERS } from '../accounts/model.ts';
import type { MemberRow, Role } from '../storage/store.ts';

/** The account model's rules, not copies of them: who may manage CI tokens and members is decided in accounts.ts. */
export const canManageCiTokens = (role: Role): boolean => CI_MANAGERS.includes(role);
export const canManageMembers = (role: Role): boolean => MEMBER_MANAGERS.includes(role);

/** Why this role change is refused, or undefined when it is allowed. */
export function roleChangeRefusal(actor: MemberRow, target: MemberRow, role: Role): string | undefined {
  if (!canManageMembers(actor.role)) return `your role (${actor.role}) cannot change roles; ask a workspace admin or owner`;
  if (actor.id === target.id) return 'you cannot change your own role; ask another admin or owner';
  if ((role === 'owner' || target.role === 'owner') && actor.role !== 'owner') return 'only an owner can make someone an owner or change an owner’s role';
  return undefined;
}

/** Who may invite with which role: only an owner invites another owner. */
export function inviteRefusal(actor: MemberRow, role: Role): string | undefined {
  if (!canManageMembers(actor.role)) return `your role (${actor.role}) cannot invite members; ask a workspace admin or owner`;
  if (role === 'owner' && actor.role !== 'owner') return 'only an owner can invite an owner';
  return undefined;
}
