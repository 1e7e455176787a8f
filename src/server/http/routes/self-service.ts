import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { CI_MANAGERS, ciManagerRule, licenseStatus } from '../../accounts/model.ts';
import { ApiError } from '../../errors.ts';
import { CiTokenName, CiTrustBody, IdParams } from '../schemas.ts';
import { createCiTrust, listCiTrusts, removeCiTrust } from '../../accounts/ci-trusts.ts';
import type { MemberRow } from '../../storage/store.ts';
import { bearer, refuseUnexpectedBody, type RouteContext } from './context.ts';

/** /v1/me and /v1/ci-tokens, by the caller's developer token, checked before any body is read. */
export const selfServiceRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { accounts, clock } = ctx;
  const members = new WeakMap<FastifyRequest, MemberRow>();
  const me = (request: FastifyRequest) => members.get(request)!;

  app.addHook('onRequest', async (request) => {
    const value = bearer(request);
    const principal = value?.startsWith('ls-') ? await accounts.resolve({ kind: 'developer', value }) : undefined;
    if (!principal || principal.kind !== 'developer') {
      throw new ApiError(401, 'auth.invalid', 'send your developer auth token as "Authorization: Bearer ls-…"');
    }
    members.set(request, principal.member);
  });
  app.addHook('preValidation', refuseUnexpectedBody);
  const ciManager = async (request: FastifyRequest) => {
    const { role } = me(request);
    if (!CI_MANAGERS.includes(role)) throw new ApiError(403, 'permission.denied', `role ${role} may not manage CI tokens; ask a workspace admin or owner`);
  };

  app.get('/v1/me', async (request) => {
    const member = me(request);
    const workspace = await accounts.requireWorkspace(member.workspace_id);
    const lic = await accounts.effectiveLicense(workspace);
    const covered = lic.implicit || member.licensed === 1;
    return {
      email: member.email, role: member.role, workspace: { id: workspace.id, name: workspace.name },
      license: covered ? { type: lic.type, plan: lic.plan, status: licenseStatus(lic, clock()), expiresAt: lic.expiresAt } : null,
    };
  });
  // Each write re-reads the caller in its transaction: its role and its token must still be what they were at sign-in.
  const asMe = <T>(request: FastifyRequest, rule: Parameters<typeof accounts.as>[1], fn: Parameters<typeof accounts.as<T>>[2]) =>
    accounts.as(me(request), rule, fn, me(request).token_hash);
  app.post('/v1/me/auth-token/rotate', async (request) => ({ authToken: await asMe(request, () => undefined, (ops) => ops.rotateMemberToken(me(request).id)) }));

  app.get('/v1/ci-tokens', { onRequest: ciManager }, async (request) => ({ ciTokens: await accounts.listCiTokens(me(request).workspace_id) }));
  app.post('/v1/ci-tokens', { onRequest: ciManager, schema: { body: CiTokenName } }, async (request, reply) => {
    const { ciToken, token } = await asMe(request, ciManagerRule, (ops) => ops.createCiToken(me(request).workspace_id, request.body.name, clock()));
    return reply.code(201).send({ id: ciToken.id, name: ciToken.name, token });
  });
  app.post('/v1/ci-tokens/:id/rotate', { onRequest: ciManager, schema: { params: IdParams } }, async (request) => ({
    token: await asMe(request, ciManagerRule, (ops) => ops.rotateCiToken(me(request).workspace_id, request.params.id)),
  }));
  // Trusted CI identities (OIDC): managed by whoever may manage CI tokens.
  app.get('/v1/ci-trusts', { onRequest: ciManager }, async (request) => ({ ciTrusts: await listCiTrusts(accounts.store.sql, me(request).workspace_id) }));
  app.post('/v1/ci-trusts', { onRequest: ciManager, schema: { body: CiTrustBody } }, async (request, reply) =>
    reply.code(201).send(await createCiTrust(accounts.store, me(request).workspace_id, request.body, ctx.oidc.issuers(), clock(), { member: me(request), tokenHash: me(request).token_hash })));
  app.delete('/v1/ci-trusts/:id', { onRequest: ciManager, schema: { params: IdParams } }, async (request, reply) => {
    await removeCiTrust(accounts.store, me(request).workspace_id, request.params.id, { member: me(request), tokenHash: me(request).token_hash });
    return reply.code(204).send();
  });
  app.delete('/v1/ci-tokens/:id', { onRequest: ciManager, schema: { params: IdParams } }, async (request, reply) => {
    await asMe(request, ciManagerRule, (ops) => ops.deleteCiToken(me(request).workspace_id, request.params.id));
    return reply.code(204).send();
  });
};
