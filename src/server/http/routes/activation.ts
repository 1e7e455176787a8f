import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Credential } from '../../../core/credentials.ts';
import { CredentialError } from '../../../core/errors.ts';
import type { EffectiveLicense, Principal } from '../../accounts/model.ts';
import { decideActivation } from '../../accounts/activation.ts';
import { ApiError } from '../../errors.ts';
import { leakedRefusal } from '../../secret-scanning/alerts.ts';
import { CredentialMemo, type ParsedCredential } from '../credential-memo.ts';
import { ActivateBody, Activated } from '../schemas.ts';
import { bearer, type RouteContext } from './context.ts';
import { identifyPipeline } from './oidc-activation.ts';
import { ReplayGuard } from '../../oidc/replay-guard.ts';
import { looksLikeJwt } from '../../oidc/verifier.ts';

/** A compact JWS is base64url segments and dots (signCompact): nothing in it needs JSON escaping, so the reply is spliced, not scanned. */
const activatedSerializer = () => (reply: { license: string }) => `{"license":"${reply.license}"}`;

/** POST /v1/license/activate (section 4): who asks is settled before the body is read. */
export const activationRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const { accounts, keys, limiter, clock } = ctx;
  const replay = new ReplayGuard(accounts.store);
  const memo = new CredentialMemo();
  const callers = new WeakMap<FastifyRequest, { credential: Credential; binding?: string; principal: Principal; license: EffectiveLicense; pipeline?: string }>();

  app.addHook('onRequest', async (request) => {
    const value = bearer(request);
    if (!value) throw new ApiError(401, 'licensing.credentials.invalid', 'no credentials: send "Authorization: Bearer <auth token>"');
    // A CI platform's ID token (a JWT) instead of an auth token: see docs/reference.md, "CI without secrets".
    const pipeline = looksLikeJwt(value) ? await identifyPipeline(ctx, replay, value) : undefined;
    if (pipeline) {
      callers.set(request, pipeline);
      return;
    }
    let parsed: ParsedCredential;
    try {
      parsed = memo.parse(value);
    } catch (cause) {
      if (cause instanceof CredentialError) throw new ApiError(400, 'licensing.credentials.format', cause.message, { cause });
      throw cause;
    }
    const { credential, hash, binding } = parsed;
    const wait = await limiter.hit(hash, clock().getTime());
    if (wait > 0) {
      throw new ApiError(429, 'licensing.rate_limited', `too many activations with this credential; retry in ${wait} s`, { headers: { 'retry-after': String(wait) } });
    }
    const caller = await accounts.identify(credential, hash);
    // Only on the refusal path: a credential revoked because it was found in public says so, and where.
    if (!caller) throw (await leakedRefusal(accounts.store, hash)) ?? new ApiError(401, 'licensing.credentials.invalid', 'the credentials are unknown, rotated or deleted');
    callers.set(request, { credential, binding, ...caller });
  });

  app.post('/v1/license/activate', { schema: { body: ActivateBody, response: { 200: Activated } }, serializerCompiler: activatedSerializer }, async (request) => {
    const { credential, binding, principal, license: effective, pipeline } = callers.get(request)!;
    const now = clock();
    const body = request.body;
    const claims = decideActivation({
      credential, binding, principal, license: effective,
      policy: principal.kind === 'legacy' ? await accounts.legacyPolicy() : undefined,
      request: body, issuer: ctx.issuer(), now,
    });
    const license = await keys.sign(claims);
    // Durable before it is answered: the row is committed (group commit) or the client gets 503 and retries.
    await accounts.store.recordActivation({
      id: claims.jti, workspace_id: principal.workspace.id, subject: principal.id, at: now.toISOString(), ci: body.ci ? 1 : 0,
      ci_provider: body.ciProvider ?? null, version: body.version, machine_id: body.machineId ?? null,
      ...(pipeline && { pipeline }),
    });
    return { license };
  });
};
