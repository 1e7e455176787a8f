import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES, type EffectiveLicense } from '../../accounts.ts';
import { ApiError } from '../../errors.ts';
import type { ActivationRow, Role } from '../../store.ts';
import { CONSOLE, hoursFrom } from '../constants.ts';
import { html, type Console, type SignedIn } from '../context.ts';
import { canManageCiTokens, canManageMembers, inviteRefusal, roleChangeRefusal } from '../permissions.ts';
import { failurePage } from '../views/auth-pages.ts';
import { authTokensPage, gettingStartedPage, membersPage, myLicensePage, type CiTokenView } from '../views/workspace-pages.ts';
import { keyOf, newSecret, seal, secretHash } from '../vault.ts';

type Form = Record<string, string | undefined>;
type Id = { id: string };

/** As GET /v1/me says it. */
const statusOf = (lic: EffectiveLicense, now: Date) =>
  now.getTime() >= Date.parse(lic.expiresAt) ? 'EXPIRED' : now.getTime() < Date.parse(lic.startsAt) ? 'PENDING' : 'ACTIVE';

/** The newest activation time of each subject (member or CI token) among the workspace's recent ones. */
function lastUse(activations: ActivationRow[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const a of activations) if ((last.get(a.subject) ?? '') < a.at) last.set(a.subject, a.at);
  return last;
}

export function workspaceRoutes(app: FastifyInstance, c: Console): void {
  type Handler = (s: SignedIn, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** Every workspace page: signed in, never cached (they show secrets or personal data). */
  const page = (handler: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
    const s = await c.signedIn(request, reply);
    return s ? handler(s, request, reply) : reply;
  };
  const denied = (s: SignedIn, reply: FastifyReply, why: string) =>
    html(reply, failurePage({ csrf: s.csrf, viewer: s.viewer, title: 'You do not have permission', message: `You cannot do this: ${why}.`, action: { href: '/getting-started', label: 'Back to Getting Started' } }), 403);

  app.get('/getting-started', page(async (s, _q, reply) => html(reply, gettingStartedPage({ csrf: s.csrf, viewer: s.viewer, token: await c.token(s) }))));

  app.get('/workspace/my-license', page(async (s, _q, reply) => {
    const now = c.clock();
    const lic = await c.accounts.effectiveLicense(s.workspace);
    const mine = (await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations)).filter((a) => a.subject === s.member.id).slice(0, CONSOLE.myActivations);
    return html(reply, myLicensePage({
      csrf: s.csrf, viewer: s.viewer, now,
      license: { plan: lic.plan, type: lic.type, status: statusOf(lic, now), startsAt: lic.startsAt, expiresAt: lic.expiresAt, seat: lic.implicit ? 'trial' : s.member.licensed ? 'held' : 'none' },
      activations: mine.map((a) => ({ at: a.at, ci: a.ci === 1, version: a.version })),
    }));
  }));

  // Auth tokens
  const tokensPage = async (s: SignedIn, reply: FastifyReply, extra: { fresh?: { label: string; value: string }; error?: string; notice?: string } = {}, status = 200) => {
    const ci = canManageCiTokens(s.member.role)
      ? { allowed: true as const, tokens: await ciTokenViews(s) }
      : { allowed: false as const, why: `Your role (${s.member.role}) cannot see or manage CI tokens. Ask a workspace admin or owner to create one for your pipeline.` };
    return html(reply, authTokensPage({ csrf: s.csrf, viewer: s.viewer, token: await c.token(s), ci, ...extra }), status);
  };
  const ciTokenViews = async (s: SignedIn): Promise<CiTokenView[]> => {
    const last = lastUse(await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations));
    return (await c.accounts.listCiTokens(s.workspace.id)).map((t) => ({ id: t.id, name: t.name, mask: t.token, createdAt: t.createdAt, lastUsed: last.get(t.id) ?? null }));
  };
  const ciManager = (handler: Handler): Handler => async (s, request, reply) =>
    canManageCiTokens(s.member.role) ? handler(s, request, reply) : denied(s, reply, `your role (${s.member.role}) cannot manage CI tokens; ask a workspace admin or owner`);

  app.get('/workspace/auth-tokens', page(async (s, _q, reply) => tokensPage(s, reply)));
  app.post('/workspace/auth-tokens/rotate', page(async (s, _q, reply) => {
    // The new value is sealed for this member in the same transaction: a rotation is never left without its value.
    const token = await c.store.transaction(async (accounts, console) => {
      const value = await accounts.rotateMemberToken(s.member.id);
      await console.setTokenBox(s.member.id, seal(s.key, value));
      return value;
    });
    const rotated = { ...s, member: (await c.accounts.store.member(s.member.id)) ?? s.member };
    return tokensPage(rotated, reply, {
      fresh: { label: 'Your new auth token', value: token },
      notice: 'Your auth token was rotated: the old value no longer activates anything.',
    });
  }));
  app.post('/workspace/ci-tokens', { schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 200 } } } } }, page(ciManager(async (s, request, reply) => {
    const name = ((request.body as Form).name ?? '').trim();
    if (!name || name.length > 100) return tokensPage(s, reply, { error: 'Give the CI token a name of 1 to 100 characters, e.g. github-actions.' }, 400);
    try {
      const { token } = await c.accounts.createCiToken(s.workspace.id, name, c.clock());
      return tokensPage(s, reply, { fresh: { label: `New CI token ${name}`, value: token } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return tokensPage(s, reply, { error: `A CI token named ${name} exists already; choose another name.` }, 409);
      throw error;
    }
  })));
  app.post('/workspace/ci-tokens/:id/rotate', page(ciManager(async (s, request, reply) => {
    const token = await c.accounts.rotateCiToken(s.workspace.id, (request.params as Id).id);
    const name = (await c.accounts.store.ciToken(s.workspace.id, (request.params as Id).id))?.name ?? 'CI token';
    return tokensPage(s, reply, { fresh: { label: `New value of ${name}`, value: token }, notice: `${name} was rotated: its old value no longer activates anything.` });
  })));
  app.post('/workspace/ci-tokens/:id/delete', page(ciManager(async (s, request, reply) => {
    const row = await c.accounts.store.ciToken(s.workspace.id, (request.params as Id).id);
    await c.accounts.deleteCiToken(s.workspace.id, (request.params as Id).id);
    return tokensPage(s, reply, { notice: `${row?.name ?? 'The CI token'} was deleted.` });
  })));

  // Users & Licenses
  const membersView = async (s: SignedIn, reply: FastifyReply, extra: { error?: string; notice?: string; invitation?: { email: string; link: string } } = {}, status = 200) => {
    const lic = await c.accounts.effectiveLicense(s.workspace);
    const members = await c.accounts.store.members(s.workspace.id);
    const last = lastUse(await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations));
    return html(reply, membersPage({
      csrf: s.csrf, viewer: s.viewer, manage: canManageMembers(s.member.role), ...extra,
      seats: { used: members.filter((m) => m.licensed === 1).length, bought: lic.seats, trial: lic.implicit },
      members: members.map((m) => ({ id: m.id, email: m.email, role: m.role, licensed: m.licensed === 1, lastActivation: last.get(m.id) ?? null, self: m.id === s.member.id })),
    }), status);
  };
  const manager = (handler: Handler): Handler => async (s, request, reply) =>
    canManageMembers(s.member.role) ? handler(s, request, reply) : denied(s, reply, `your role (${s.member.role}) cannot manage members; ask a workspace admin or owner`);
  const roleOf = (v: string | undefined): Role | undefined => ROLES.find((r) => r === v);

  app.get('/workspace/members', page(async (s, _q, reply) => membersView(s, reply)));
  app.post('/workspace/members', page(manager(async (s, request, reply) => {
    const form = request.body as Form;
    const email = (form.email ?? '').trim().toLowerCase();
    const role = roleOf(form.role);
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254 || !role) return membersView(s, reply, { error: 'Enter the new member’s email address and choose a role.' }, 400);
    const refusal = inviteRefusal(s.member, role);
    if (refusal) return denied(s, reply, refusal);
    const code = newSecret();
    const now = c.clock();
    try {
      // The member and its invitation together: no member is left that nobody can invite again from here.
      await c.store.transaction(async (accounts, console) => {
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
      await c.accounts.setSeat(target.id, licensed);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'license.no_seats') {
        const seats = (await c.accounts.effectiveLicense(s.workspace)).seats;
        return membersView(s, reply, { error: `No seat left for ${target.email}: all ${seats} seats of your license are assigned. Free a seat first, or buy more seats.` }, 409);
      }
      throw error;
    }
    return membersView(s, reply, { notice: licensed ? `${target.email} now holds a seat.` : `${target.email}’s seat is free again.` });
  })));
  app.post('/workspace/members/:id/role', page(manager(async (s, request, reply) => {
    const target = await c.memberOfWorkspace(s, (request.params as Id).id);
    const role = roleOf((request.body as Form).role);
    if (!role) return membersView(s, reply, { error: 'Choose a role: member, admin or owner.' }, 400);
    const refusal = roleChangeRefusal(s.member, target, role);
    if (refusal) return denied(s, reply, refusal);
    await c.accounts.setRole(target.id, role);
    return membersView(s, reply, { notice: `${target.email} is now ${role === 'admin' ? 'an' : 'a'} ${role}.` });
  })));
}
