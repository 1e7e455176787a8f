// Verifies CI ID tokens (OpenID Connect) from the issuers this server trusts: keys found by OpenID discovery, kept by
// jose's remote key set (cached; refetched on an unknown kid at most once per cooldown), checked with a small skew.
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { ApiError } from '../errors.ts';
import { OIDC } from '../constants.ts';

/** Each refusal: code, one sentence of cause, one of fix (the entrypoint shows them as they are). */
export const refuse = (code: string, cause: string, fix: string, status = 403) => new ApiError(status, `licensing.oidc.${code}`, `${cause}. ${fix}.`);

/** A token that is not a JWT at all: three base64url parts, the first a JSON header. */
export const looksLikeJwt = (value: string) => /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value) && value.length <= OIDC.maxTokenChars;

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** One issuer's key set, found through its discovery document; a failed discovery is tried again after a pause, not per request. */
class IssuerKeys {
  readonly issuer: string;
  private keys: Promise<KeySet> | undefined;
  private failedAt = 0;
  constructor(issuer: string) {
    this.issuer = issuer;
  }

  get(): Promise<KeySet> {
    if (this.keys) return this.keys;
    if (Date.now() - this.failedAt < OIDC.discoveryRetryMs) return Promise.reject(new Error('discovery failed moments ago'));
    const keys = this.discover();
    this.keys = keys;
    keys.catch(() => {
      this.keys = undefined;
      this.failedAt = Date.now();
    });
    return keys;
  }

  private async discover(): Promise<KeySet> {
    const url = `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(OIDC.fetchTimeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    const text = await res.text();
    if (!res.ok || text.length > OIDC.documentLimitChars) throw new Error(`${url} answered HTTP ${res.status}`);
    const doc = JSON.parse(text) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== this.issuer) throw new Error(`${url} names another issuer`);
    if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri.startsWith('https://')) throw new Error(`${url} has no https jwks_uri`);
    return createRemoteJWKSet(new URL(doc.jwks_uri), {
      cooldownDuration: OIDC.jwksCooldownMs, cacheMaxAge: OIDC.jwksMaxAgeMs, timeoutDuration: OIDC.fetchTimeoutMs,
    });
  }
}

export interface VerifiedIdToken {
  issuer: string;
  claims: JWTPayload & Record<string, unknown>;
}

/** The issuers this server trusts and the audience their tokens must name. */
export class OidcVerifier {
  private readonly byIssuer = new Map<string, IssuerKeys>();
  private readonly audience: () => string;
  constructor(issuers: readonly string[], audience: () => string) {
    for (const issuer of issuers) this.byIssuer.set(issuer, new IssuerKeys(issuer));
    this.audience = audience;
  }

  issuers(): string[] {
    return [...this.byIssuer.keys()];
  }

  trusts(issuer: string): boolean {
    return this.byIssuer.has(issuer);
  }

  /** The verified claims of an ID token, or the refusal that says why not. */
  async verify(token: string, now: Date): Promise<VerifiedIdToken> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw refuse('malformed', 'The ID token is not a JSON Web Token', 'Pass the ID token of your CI platform unchanged in LOCALSTACK_OIDC_TOKEN (or let the entrypoint request it)', 400);
    }
    const issuer = typeof unverified.iss === 'string' ? unverified.iss : '';
    const keys = this.byIssuer.get(issuer);
    if (!keys) {
      throw refuse('issuer_untrusted', `This license server does not trust ID tokens from ${JSON.stringify(issuer.slice(0, 200))}`,
        `Ask its operator to add it with --oidc-issuer, or use a CI auth token; trusted issuers are ${this.issuers().join(', ')}`);
    }
    let keySet: KeySet;
    try {
      keySet = await keys.get();
    } catch (cause) {
      throw new ApiError(503, 'licensing.oidc.issuer_unavailable', `the keys of ${issuer} cannot be fetched now; try again`, { cause, headers: { 'retry-after': String(OIDC.retryAfterS) } });
    }
    const audience = this.audience();
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer, audience, currentDate: now, clockTolerance: OIDC.skewS, requiredClaims: ['exp', 'iat'], algorithms: [...OIDC.algorithms],
      });
      if ((payload.iat ?? 0) > now.getTime() / 1000 + OIDC.skewS) {
        throw refuse('not_yet_valid', 'The ID token was issued in the future by this server\'s clock', 'Check the clock (NTP) of the license server');
      }
      return { issuer, claims: payload as VerifiedIdToken['claims'] };
    } catch (error) {
      throw this.refusal(error, issuer, audience, unverified);
    }
  }

  private refusal(error: unknown, issuer: string, audience: string, unverified: JWTPayload): unknown {
    if (error instanceof ApiError) return error;
    if (error instanceof errors.JWTExpired) {
      const at = typeof unverified.exp === 'number' ? ` at ${new Date(unverified.exp * 1000).toISOString()}` : '';
      return refuse('expired', `The ID token expired${at}`, 'Request a fresh one for each start (the entrypoint does so in GitHub Actions); do not reuse a token from an earlier step');
    }
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
      const sent = [unverified.aud ?? []].flat().map((a) => JSON.stringify(String(a).slice(0, 200))).join(', ') || 'none';
      return refuse('audience', `The ID token is for the audience ${sent}, not this license server's ${JSON.stringify(audience)}`,
        `Request it for ${audience} (LOCALSTACK_OIDC_AUDIENCE, or "aud" in GitLab's id_tokens:)`);
    }
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
      return refuse('not_yet_valid', 'The ID token is not valid yet by this server\'s clock', 'Check the clock (NTP) of the license server');
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      return refuse('malformed', `The ID token's ${error.claim} claim is missing or invalid`, 'Pass the ID token of your CI platform unchanged', 400);
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
      return refuse('signature', `The ID token's signature does not verify with the published keys of ${issuer}`, 'Pass the ID token of your CI platform unchanged; a token that was altered or made up is never accepted');
    }
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof TypeError) {
      return new ApiError(503, 'licensing.oidc.issuer_unavailable', `the keys of ${issuer} cannot be fetched now; try again`, { cause: error, headers: { 'retry-after': String(OIDC.retryAfterS) } });
    }
    return error;
  }
}
