import type { FastifyInstance, FastifyReply } from 'fastify';
import { normalizeEmail } from '../../accounts/email.ts';
import { memberManagerRule, ROLES } from '../../accounts/model.ts';
import { ApiError } from '../../errors.ts';
import type { Role } from '../../storage/store.ts';
import { CONSOLE, hoursFrom } from '../constants.ts';
import { html, type Console, type SignedIn } from '../context.ts';
import { canManageMembers, inviteRefusal, roleChangeRefusal } from '../permissions.ts';
import { membersPage } from '../views/workspace-pages.ts';
import { keyOf, newSecret, seal, secretHash } from '../vault.ts';
import { offlineLicenseRoutes, offlineView, type MembersExtra } from './offline-licenses.ts';
import { denied, lastUse, only, signedIn, type Form, type Handler, type Id } from './guards.ts';

/** Users & Licenses: members, seats, roles, invitations. */
export function memberRoutes(app: FastifyInstance, c: Console): void {
  const page = (handler: Handler) => signedIn(c, handler);
  const membersView = async (s: SignedIn, reply: FastifyReply, extra: MembersExtra = {}, status = 200) => {
    const lic = await c.accounts.effectiveLicense(s.workspace);
    const members = await c.accounts.store.members(s.workspace.id);
    const last = lastUse(await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations));
    const offline = await offlineView(c, s, lic);
    return html(reply, membersPage({
      csrf: s.csrf, viewer: s.viewer, manage: canManageMembers(s.member.role), ...extra, offline,
      seats: { used: members.filter((m) => m.licensed === 1).length, bought: lic.seats, trial: lic.implicit, offline: offline.taken },
      members: members.map((m) => ({ id: m.id, email: m.email, role: m.role, licensed: m.licensed === 1, lastActivation: last.get(m.id) ?? null, self: m.id === s.member.id })),
    }), status);
  };
  const manager = (handler: Handler) => only((s) => canManageMembers(s.member.role), (s) => `your role (${s.member.role}) cannot manage members; ask a workspace admin or owner`, handler);
  const roleOf = (v: string | undefined): Role | undefined => ROLES.find((r) => r === v);

  app.get('/workspace/members', page(async (s, _q, reply) => membersView(s, reply)));
  app.post('/workspace/members', page(manager(async (s, request, reply) => {
    const form = request.body as Form;
    // A field sent twice arrives as a list: not an address.
    const email = normalizeEmail(typeof form.email === 'string' ? form.email : '');
    const role = roleOf(form.role);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254 || !role) return membersView(s, reply, { error: 'Enter the new member’s email address and choose a role.' }, 400);
    const refusal = inviteRefusal(s.member, role);
    if (refusal) return denied(s, reply, refusal);
    const code = newSecret();
    const now = c.clock();
    try {
      // The member and its invitation together: no member is left that nobody can invite again from here.
      await c.store.transaction(async (accounts, console) => {
        await accounts.actingMember(s.member, (actor) => inviteRefusal(actor, role));
        const added = await accounts.addMember(s.workspace.id, { email, role });
        await console.createInvitation({
          code_hash: secretHash(code), member_id: added.member.id, token_box: seal(keyOf(code, 'invitation'), added.authToken),
          created_at: now.toISOString(), expires_at: hoursFrom(now, CONSOLE.invitationHours),
        });
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return membersView(s, reply, { error: `${email} is a member of this workspace already.` }, 409);
      throw error;
    }
    return membersView(s, reply, { invitation: { email, link: c.invitationLink(request, code) } });
  })));
  app.post('/workspace/members/:id/seat', page(manager(async (s, request, reply) => {
    const target = await c.memberOfWorkspace(s, (request.params as Id).id);
    const licensed = (request.body as Form).licensed === 'true';
    try {
      await c.accounts.as(s.member, memberManagerRule, (ops) => ops.setSeat(target.id, licensed));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'license.no_seats') {
        const seats = (await c.accounts.effectiveLicense(s.workspace)).seats;
        const taken = (await offlineView(c, s, await c.accounts.effectiveLicense(s.workspace))).taken;
        const byOffline = taken ? ` (${taken} of them taken by offline licenses while they are valid)` : '';
        return membersView(s, reply, { error: `No seat left for ${target.email}: all ${seats} seats of your license are assigned${byOffline}. Free a seat first, or buy more seats.` }, 409);
      }
      throw error;
    }
    return membersView(s, reply, { notice: licensed ? `${target.email} now holds a seat.` : `${target.email}’s seat is free again.` });
  })));
  offlineLicenseRoutes(app, c, page, manager, membersView);
  app.post('/workspace/members/:id/role', page(manager(async (s, request, reply) => {
    const target = await c.memberOfWorkspace(s, (request.params as Id).id);
    const role = roleOf((request.body as Form).role);
    if (!role) return membersView(s, reply, { error: 'Choose a role: member, admin or owner.' }, 400);
    const refusal = roleChangeRefusal(s.member, target, role);
    if (refusal) return denied(s, reply, refusal);
    try {
      // Both rows read again in the transaction: roles read before it may have changed (two owners demoting each other).
      await c.accounts.as(s.member, memberManagerRule, async (ops, actor) => {
        const why = roleChangeRefusal(actor, await ops.tx.member(target.id) ?? target, role);
        if (why) throw new ApiError(403, 'permission.denied', why);
        await ops.setRole(target.id, role);
      });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'workspace.last_owner') return membersView(s, reply, { error: `${target.email} is the last owner of this workspace: make another member an owner first.` }, 409);
      throw error;
    }
    return membersView(s, reply, { notice: `${target.email} is now ${role === 'admin' ? 'an' : 'a'} ${role}.` });
  })));
}
