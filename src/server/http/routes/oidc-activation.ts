import { hashCredential, type Credential } from '../../../core/credentials.ts';
import { oidcBindingValue } from '../../../core/oidc-binding.ts';
import { matchTrust, pipelineOf, tokenKey } from '../../accounts/ci-trusts.ts';
import type { EffectiveLicense, Principal } from '../../accounts/model.ts';
import { OIDC } from '../../constants.ts';
import { ApiError } from '../../errors.ts';
import { looksLikeJwt, refuse } from '../../oidc/verifier.ts';
import { forgetExpiredUses } from '../../storage/ci-trusts.ts';
import type { ReplayGuard } from '../../oidc/replay-guard.ts';
import type { RouteContext } from './context.ts';

let lastSweep = 0;

/**
 * Who a bearer that is an ID token belongs to: verified, matched to a workspace's trust, used once (jti).
 * Undefined when the bearer is not an ID token (an auth token takes the usual path); a refusal otherwise.
 */
export async function identifyPipeline(ctx: RouteContext, replay: ReplayGuard, value: string): Promise<{ credential: Credential; principal: Principal; license: EffectiveLicense; pipeline: string } | undefined> {
  if (!looksLikeJwt(value)) return undefined;
  const now = ctx.clock();
  const token = await ctx.oidc.verify(value, now);
  const sub = typeof token.claims.sub === 'string' ? token.claims.sub : '';
  // The license and its cache are bound to the pipeline's identity, not to a token that changes at every start.
  const binding = oidcBindingValue(token.issuer, sub);
  const wait = await ctx.limiter.hit(hashCredential(binding), now.getTime());
  if (wait > 0) {
    throw new ApiError(429, 'licensing.rate_limited', `too many activations by this pipeline; retry in ${wait} s`, { headers: { 'retry-after': String(wait) } });
  }
  const store = ctx.accounts.store;
  const match = await matchTrust(store.sql, token);
  if (typeof token.claims.jti === 'string') {
    const expiresAt = new Date(token.claims.exp! * 1000 + OIDC.skewS * 1000).toISOString();
    if (!(await replay.firstUse(tokenKey(token.issuer, token.claims.jti), expiresAt))) {
      throw refuse('replayed', 'This ID token was used for an activation already, and each is accepted once',
        'Request a fresh ID token for each start (the entrypoint does so itself in GitHub Actions)');
    }
    if (now.getTime() - lastSweep > OIDC.sweepIntervalMs) {
      lastSweep = now.getTime();
      void store.write((tx) => forgetExpiredUses(tx.sql, now.toISOString())).catch(() => undefined);
    }
  }
  return {
    credential: { kind: 'ci', value: binding },
    principal: { kind: 'trust', id: match.trust.id, workspace: match.workspace },
    license: match.license,
    pipeline: JSON.stringify(pipelineOf(token.claims)),
  };
}

