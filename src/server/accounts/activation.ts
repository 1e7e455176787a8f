import { randomUUID } from 'node:crypto';
import type { ActivationRequest } from '../../core/activation-body.ts';
import { AUDIENCE, OFFLINE_VALIDITY_S, PRO_FEATURES } from '../../core/constants.ts';
import { credentialBinding, type Credential } from '../../core/credentials.ts';
import type { LicenseClaims } from '../../core/license.ts';
import { licenseStatus, type EffectiveLicense, type LegacyPolicy, type Principal } from './model.ts';
import { PLAN_FEATURES } from '../constants.ts';
import { ApiError } from '../errors.ts';


/** Refuses a legacy key inside a downtime window or after the sunset; auth tokens are never affected. */
export function checkLegacyPolicy(policy: LegacyPolicy, now: Date): void {
  const t = now.getTime();
  if (policy.sunsetAt && t >= Date.parse(policy.sunsetAt)) {
    throw new ApiError(403, 'licensing.legacy_key.sunset',
      `Legacy API keys are no longer accepted since ${policy.sunsetAt}. Switch to an auth token in LOCALSTACK_AUTH_TOKEN.`);
  }
  const window = policy.downtimes.find((d) => t >= Date.parse(d.start) && t < Date.parse(d.end));
  if (window) {
    throw new ApiError(403, 'licensing.legacy_key.downtime',
      `Legacy API keys are unavailable during a scheduled downtime until ${window.end}. Switch to an auth token in LOCALSTACK_AUTH_TOKEN.`);
  }
}

/**
 * A UUIDv7 (RFC 9562): the time in milliseconds, then a v4's random bits. Each new activation row lands at the
 * end of the primary-key index instead of on a random page; randomUUID draws from a buffer, which is cheap.
 */
export function timeOrderedUuid(now: Date): string {
  const ms = now.getTime().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}

/**
 * The activation decision, pure: who asks, under which license, at what time.
 * Returns the claims to sign or throws the ApiError that section 4 prescribes.
 */
export function decideActivation(input: {
  credential: Credential;
  /** credentialBinding(credential.value) when the caller has it already (http/credential-memo.ts). */
  binding?: string;
  principal: Principal;
  license: EffectiveLicense;
  /** Needed only for legacy keys (the caller reads it only for them). */
  policy: LegacyPolicy | undefined;
  request: ActivationRequest;
  issuer: string;
  now: Date;
}): LicenseClaims {
  const { credential, principal, license, request, now } = input;
  if (principal.kind === 'legacy') checkLegacyPolicy(input.policy ?? { downtimes: [], sunsetAt: null }, now);
  if (principal.kind === 'developer' && request.ci) {
    throw new ApiError(403, 'licensing.credentials.ci_token_required',
      'A developer auth token cannot be used in CI. Create a CI auth token (lsci-…) for this pipeline.');
  }
  if (principal.kind !== 'ci' && principal.kind !== 'trust' && !license.implicit && !principal.member.licensed) {
    throw new ApiError(403, 'licensing.license.not_found',
      `No license is assigned to ${principal.member.email} in workspace ${principal.workspace.name}. Ask a workspace admin to assign one.`);
  }
  const status = licenseStatus(license, now);
  if (status === 'PENDING') {
    throw new ApiError(403, 'licensing.license.not_found', `The license of workspace ${principal.workspace.name} starts only at ${license.startsAt}.`);
  }
  if (status === 'EXPIRED') {
    throw new ApiError(403, 'licensing.license.expired',
      `The ${license.type} license of workspace ${principal.workspace.name} expired at ${license.expiresAt}.`);
  }
  const iat = Math.floor(now.getTime() / 1000);
  return {
    iss: input.issuer,
    aud: AUDIENCE,
    sub: principal.id,
    jti: `act-${timeOrderedUuid(now)}`,
    iat,
    nbf: iat,
    exp: iat + OFFLINE_VALIDITY_S,
    tok: input.binding ?? credentialBinding(credential.value),
    // A pipeline's ID token is a CI credential whatever the body says.
    ci: request.ci || principal.kind === 'trust',
    lic: { id: license.id, type: license.type, plan: license.plan, status: 'ACTIVE', expiresAt: license.expiresAt },
    ws: { id: principal.workspace.id, name: principal.workspace.name },
    features: [...(license.type === 'trial' ? PRO_FEATURES : (PLAN_FEATURES[license.plan] ?? PRO_FEATURES))],
  };
}
