import { AUTH_TOKENS_PATH } from '../../../core/constants.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ciManagerRule } from '../../accounts/model.ts';
import { ApiError } from '../../errors.ts';
import { CONSOLE } from '../constants.ts';
import { html, type Console, type SignedIn } from '../context.ts';
import { canManageCiTokens } from '../permissions.ts';
import { authTokensPage, type CiTokenView } from '../views/workspace-pages.ts';
import { seal } from '../vault.ts';
import { leakEvents } from './leak-events.ts';
import { ciTrustRoutes, trustsSection, type TrustForm } from './ci-trusts.ts';
import { lastUse, only, signedIn, type Form, type Handler, type Id } from './guards.ts';

/** Auth Tokens: the member's developer token and the workspace's CI tokens. */
export function tokenRoutes(app: FastifyInstance, c: Console): void {
  const page = (handler: Handler) => signedIn(c, handler);
  const tokensPage = async (s: SignedIn, reply: FastifyReply, extra: { fresh?: { label: string; value: string }; error?: string; notice?: string; trustForm?: TrustForm } = {}, status = 200) => {
    const ci = canManageCiTokens(s.member.role)
      ? { allowed: true as const, tokens: await ciTokenViews(s) }
      : { allowed: false as const, why: `Your role (${s.member.role}) cannot see or manage CI tokens. Ask a workspace admin or owner to create one for your pipeline.` };
    const trusts = ci.allowed ? await trustsSection(c, s, extra.trustForm) : undefined;
    return html(reply, authTokensPage({ csrf: s.csrf, viewer: s.viewer, token: await c.token(s), ci, leaks: await leakEvents(c, s), ...extra, trusts }), status);
  };
  ciTrustRoutes(app, c, tokensPage);
  const ciTokenViews = async (s: SignedIn): Promise<CiTokenView[]> => {
    const last = lastUse(await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations));
    return (await c.accounts.listCiTokens(s.workspace.id)).map((t) => ({ id: t.id, name: t.name, mask: t.token, createdAt: t.createdAt, lastUsed: last.get(t.id) ?? null }));
  };
  const ciManager = (handler: Handler) => only((s) => canManageCiTokens(s.member.role), (s) => `your role (${s.member.role}) cannot manage CI tokens; ask a workspace admin or owner`, handler);

  app.get(AUTH_TOKENS_PATH, page(async (s, request, reply) => tokensPage(s, reply,
    (request.query as { done?: string }).done === 'rotated' ? { notice: 'Your auth token was rotated: the old value no longer activates anything. The new one is below.' } : {})));
  app.post('/workspace/auth-tokens/rotate', page(async (s, _q, reply) => {
    // The new value is sealed for this member in the same transaction: a rotation is never left without its value.
    await c.store.transaction(async (accounts, console) => {
      await accounts.actingMember(s.member);
      const value = await accounts.rotateMemberToken(s.member.id);
      await console.setTokenBox(s.member.id, seal(s.key, value));
      return value;
    });
    // Post/redirect/get: the page's address stays the page's, and a reload rotates nothing.
    return reply.redirect(`${AUTH_TOKENS_PATH}?done=rotated`, 303);
  }));
  app.post('/workspace/ci-tokens', { schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 200 } } } } }, page(ciManager(async (s, request, reply) => {
    const name = ((request.body as Form).name ?? '').trim();
    if (!name || name.length > 100) return tokensPage(s, reply, { error: 'Give the CI token a name of 1 to 100 characters, e.g. github-actions.' }, 400);
    try {
      const { token } = await c.accounts.as(s.member, ciManagerRule, (ops) => ops.createCiToken(s.workspace.id, name, c.clock()));
      return tokensPage(s, reply, { fresh: { label: `New CI token ${name}`, value: token } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return tokensPage(s, reply, { error: `A CI token named ${name} exists already; choose another name.` }, 409);
      throw error;
    }
  })));
  app.post('/workspace/ci-tokens/:id/rotate', page(ciManager(async (s, request, reply) => {
    const token = await c.accounts.as(s.member, ciManagerRule, (ops) => ops.rotateCiToken(s.workspace.id, (request.params as Id).id));
    const name = (await c.accounts.store.ciToken(s.workspace.id, (request.params as Id).id))?.name ?? 'CI token';
    return tokensPage(s, reply, { fresh: { label: `New value of ${name}`, value: token }, notice: `${name} was rotated: its old value no longer activates anything.` });
  })));
  app.post('/workspace/ci-tokens/:id/delete', page(ciManager(async (s, request, reply) => {
    const row = await c.accounts.store.ciToken(s.workspace.id, (request.params as Id).id);
    await c.accounts.as(s.member, ciManagerRule, (ops) => ops.deleteCiToken(s.workspace.id, (request.params as Id).id));
    return tokensPage(s, reply, { notice: `${row?.name ?? 'The CI token'} was deleted.` });
  })));
}
