import { CI_MANAGERS } from '../accounts.ts';
import type { MemberRow, Role } from '../store.ts';

/** The API's rule, not a copy of it: who may manage CI tokens is decided in accounts.ts. */
export const canManageCiTokens = (role: Role): boolean => CI_MANAGERS.includes(role);

/** Users & Licenses: the same roles as CI tokens (admins and owners) invite, assign seats and change roles. */
export const canManageMembers = (role: Role): boolean => CI_MANAGERS.includes(role);

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
