import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACTIVATIONS_LISTED } from '../../constants.ts';
import { ApiError } from '../../errors.ts';
import { describeOfflineLicense, issueOfflineLicense, listOfflineLicenses } from '../../accounts/offline-licenses.ts';
import { offlineLicenseKeys } from '../../storage/offline-licenses.ts';
import { createCiTrust, listCiTrusts, removeCiTrust } from '../../accounts/ci-trusts.ts';
import { CiTokenName, CiTrustBody, IdParams, LegacyPolicyBody, License, NewMember, NewOfflineLicense, NewWorkspace, RoleBody, Seat, WsIdParams, WsParams } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { requireAdminToken } from './admin-auth.ts';
import { refuseUnexpectedBody } from './context.ts';

/** The operator API under /admin/v1, by ADMIN_TOKEN (disabled without it), checked before any body is read. */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { accounts, keys, clock } = ctx;

  app.addHook('onRequest', async (request) => requireAdminToken(request, ctx.adminToken));

  app.addHook('preValidation', refuseUnexpectedBody);

  const describe = async (wsId: string) => {
    const ws = await accounts.requireWorkspace(wsId);
    return {
      id: ws.id, name: ws.name, createdAt: ws.created_at, license: await accounts.effectiveLicense(ws),
      members: (await accounts.store.members(ws.id)).map((m) => ({
        id: m.id, email: m.email, role: m.role, licensed: m.licensed === 1, authToken: m.token_mask, legacyApiKey: m.legacy_key_hash !== null,
      })),
      ciTokens: await accounts.listCiTokens(ws.id),
    };
  };

  app.get('/workspaces', async () => ({
    workspaces: (await accounts.store.workspaces()).map((w) => ({ id: w.id, name: w.name, createdAt: w.created_at })),
  }));
  app.post('/workspaces', { schema: { body: NewWorkspace } }, async (request, reply) => {
    const ws = await accounts.createWorkspace(request.body, clock());
    return reply.code(201).send(await describe(ws.id));
  });
  app.get('/workspaces/:ws', { schema: { params: WsParams } }, async (request) => describe(request.params.ws));
  app.get('/workspaces/:ws/activations', { schema: { params: WsParams } }, async (request) => {
    await accounts.requireWorkspace(request.params.ws);
    const rows = await accounts.store.activations(request.params.ws, ACTIVATIONS_LISTED);
    return {
      activations: rows.map((a) => ({
        id: a.id, subject: a.subject, at: a.at, ci: a.ci === 1, ciProvider: a.ci_provider, version: a.version, machineId: a.machine_id,
        ...(a.pipeline && { pipeline: JSON.parse(a.pipeline) as unknown }),
      })),
    };
  });
  app.post('/workspaces/:ws/members', { schema: { params: WsParams, body: NewMember } }, async (request, reply) => {
    const { member, authToken } = await accounts.addMember(request.params.ws, request.body);
    return reply.code(201).send({ id: member.id, email: member.email, role: member.role, licensed: member.licensed === 1, authToken });
  });
  app.post('/members/:id/auth-token/rotate', { schema: { params: IdParams } }, async (request) => ({
    authToken: await accounts.rotateMemberToken(request.params.id),
  }));
  app.delete('/members/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await accounts.write((ops) => ops.removeMember(request.params.id));
    return reply.code(204).send();
  });
  app.put('/members/:id/seat', { schema: { params: IdParams, body: Seat } }, async (request) => {
    const m = await accounts.setSeat(request.params.id, request.body.licensed);
    return { id: m.id, email: m.email, licensed: m.licensed === 1 };
  });
  app.put('/members/:id/role', { schema: { params: IdParams, body: RoleBody } }, async (request) => {
    await accounts.setRole(request.params.id, request.body.role);
    return { id: request.params.id, role: request.body.role };
  });
  app.post('/members/:id/legacy-key', { schema: { params: IdParams } }, async (request, reply) =>
    reply.code(201).send({ legacyApiKey: await accounts.setLegacyKey(request.params.id) }));
  app.delete('/members/:id/legacy-key', { schema: { params: IdParams } }, async (request, reply) => {
    await accounts.setLegacyKey(request.params.id, null);
    return reply.code(204).send();
  });
  app.get('/workspaces/:ws/ci-tokens', { schema: { params: WsParams } }, async (request) => {
    await accounts.requireWorkspace(request.params.ws);
    return { ciTokens: await accounts.listCiTokens(request.params.ws) };
  });
  app.post('/workspaces/:ws/ci-tokens', { schema: { params: WsParams, body: CiTokenName } }, async (request, reply) => {
    const { ciToken, token } = await accounts.createCiToken(request.params.ws, request.body.name, clock());
    return reply.code(201).send({ id: ciToken.id, name: ciToken.name, token });
  });
  app.post('/workspaces/:ws/ci-tokens/:id/rotate', { schema: { params: WsIdParams } }, async (request) => ({
    token: await accounts.rotateCiToken(request.params.ws, request.params.id),
  }));
  app.delete('/workspaces/:ws/ci-tokens/:id', { schema: { params: WsIdParams } }, async (request, reply) => {
    await accounts.deleteCiToken(request.params.ws, request.params.id);
    return reply.code(204).send();
  });
  app.get('/workspaces/:ws/ci-trusts', { schema: { params: WsParams } }, async (request) => {
    await accounts.requireWorkspace(request.params.ws);
    return { ciTrusts: await listCiTrusts(accounts.store.sql, request.params.ws) };
  });
  app.post('/workspaces/:ws/ci-trusts', { schema: { params: WsParams, body: CiTrustBody } }, async (request, reply) =>
    reply.code(201).send(await createCiTrust(accounts.store, request.params.ws, request.body, ctx.oidc.issuers(), clock())));
  app.delete('/workspaces/:ws/ci-trusts/:id', { schema: { params: WsIdParams } }, async (request, reply) => {
    await removeCiTrust(accounts.store, request.params.ws, request.params.id);
    return reply.code(204).send();
  });
  app.put('/workspaces/:ws/license', { schema: { params: WsParams, body: License } }, async (request) => {
    await accounts.setLicense(request.params.ws, request.body);
    return accounts.effectiveLicense(await accounts.requireWorkspace(request.params.ws));
  });
  app.delete('/workspaces/:ws/license', { schema: { params: WsParams } }, async (request) => {
    await accounts.endLicense(request.params.ws, clock());
    return accounts.effectiveLicense(await accounts.requireWorkspace(request.params.ws));
  });
  app.get('/workspaces/:ws/offline-licenses', { schema: { params: WsParams } }, async (request) => ({
    offlineLicenses: await listOfflineLicenses(accounts, request.params.ws, clock()),
  }));
  app.post('/workspaces/:ws/offline-licenses', { schema: { params: WsParams, body: NewOfflineLicense } }, async (request, reply) => {
    const now = clock();
    const { row, file } = await issueOfflineLicense(accounts, keys, request.params.ws, request.body, { issuedBy: 'admin API', issuer: ctx.issuer(), now });
    // The file is in this answer only: the server keeps its id and hash.
    return reply.code(201).header('cache-control', 'no-store').send({ ...describeOfflineLicense(row, now), file });
  });
  app.get('/legacy-policy', async () => accounts.legacyPolicy());
  app.put('/legacy-policy', { schema: { body: LegacyPolicyBody } }, async (request) => {
    await accounts.setLegacyPolicy(request.body);
    return accounts.legacyPolicy();
  });
  app.get('/signing-keys', async () => keys.status());
  app.post('/signing-keys', async (_request, reply) => {
    const staged = await keys.stage();
    return reply.code(staged.created ? 201 : 200).send(staged);
  });
  app.post('/signing-keys/rotate', async () => keys.rotate());
  // Which keys signed offline licenses that are still valid: a rotation keeps them in the JWKS, pinned images must too.
  app.get('/signing-keys/offline-licenses', async () => {
    const { current } = await keys.status();
    return { keys: (await offlineLicenseKeys(accounts.store.sql, clock())).map((k) => ({ kid: k.kid, current: k.kid === current, offlineLicenses: Number(k.count), validUntil: k.until })) };
  });
};
