// Verifies CI ID tokens (OpenID Connect) from the issuers this server trusts: keys found by OpenID discovery, kept by
// jose's remote key set (cached; refetched on an unknown kid at most once per cooldown) and a KeyObject cache, claims
// checked with a small skew.
import { constants, KeyObject, verify as verifySignature, type VerifyKeyObjectInput } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTPayload } from 'jose';
import { ApiError } from '../errors.ts';
import { OIDC } from '../constants.ts';

/** Each refusal: code, one sentence of cause, one of fix (the entrypoint shows them as they are). */
export const refuse = (code: string, cause: string, fix: string, status = 403) => new ApiError(status, `licensing.oidc.${code}`, `${cause}. ${fix}.`);

/** A bearer that is a JWT (three parts, the first a JSON header) rather than an auth token; parts() checks the rest. */
export const looksLikeJwt = (value: string) => value.startsWith('eyJ') && value.length <= OIDC.maxTokenChars && value.split('.', 4).length === 3;

type KeySet = ReturnType<typeof createRemoteJWKSet>;
interface Header { alg?: unknown; kid?: unknown; crit?: unknown }

/**
 * One issuer's keys, found through its discovery document; a failed discovery is tried again after a pause, not per
 * request. jose's remote key set fetches, caches and refetches them (an unknown kid at most once per cooldown); the
 * key cache keeps each as a node:crypto KeyObject, so a verification is one synchronous RSA check (WebCrypto's costs
 * twice the CPU). It is emptied whenever jose's set is stale or had to look a kid up: a retired key stops verifying.
 */
class IssuerKeys {
  readonly issuer: string;
  private keySet: Promise<KeySet> | undefined;
  private failedAt = 0;
  private readonly cache = new Map<string, KeyObject>();
  constructor(issuer: string) {
    this.issuer = issuer;
  }

  private set(): Promise<KeySet> {
    if (this.keySet) return this.keySet;
    if (Date.now() - this.failedAt < OIDC.discoveryRetryMs) return Promise.reject(new Error('discovery failed moments ago'));
    const keys = this.discover();
    this.keySet = keys;
    keys.catch(() => {
      this.keySet = undefined;
      this.failedAt = Date.now();
    });
    return keys;
  }

  /** The key a token's header names; throws jose's JWKS errors (no matching key, timeout) or a fetch error. */
  async key(header: { alg: string; kid?: string }): Promise<KeyObject> {
    const set = await this.set();
    if (!set.fresh) this.cache.clear();
    const cached = header.kid === undefined ? undefined : this.cache.get(header.kid);
    if (cached) return cached;
    const key = KeyObject.from(await set(header));
    this.cache.clear();
    if (header.kid !== undefined) this.cache.set(header.kid, key);
    return key;
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

/** node:crypto's parameters for each JWS algorithm this server accepts. */
const SIGNATURE: Record<string, { hash: string; options?: Omit<VerifyKeyObjectInput, 'key'> }> = {
  RS256: { hash: 'sha256' }, RS384: { hash: 'sha384' }, RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } }, ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
};

const malformed = () => refuse('malformed', 'The ID token is not a JSON Web Token', 'Pass the ID token of your CI platform unchanged in LOCALSTACK_OIDC_TOKEN (or let the entrypoint request it)', 400);

/** The parts of a compact JWS, its header and claims parsed; a malformed token is refused. */
function parts(token: string): { header: Header; claims: JWTPayload & Record<string, unknown>; signed: string; signature: Buffer } {
  const [h, p, sig] = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as Header;
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as JWTPayload & Record<string, unknown>;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('not objects');
    return { header, claims, signed: `${h}.${p}`, signature: Buffer.from(sig!, 'base64url') };
  } catch {
    throw malformed();
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
    const { header, claims, signed, signature } = parts(token);
    const issuer = typeof claims.iss === 'string' ? claims.iss : '';
    const keys = this.byIssuer.get(issuer);
    if (!keys) {
      throw refuse('issuer_untrusted', `This license server does not trust ID tokens from ${JSON.stringify(issuer.slice(0, 200))} (it trusts ${this.issuers().join(', ')})`,
        'Ask its operator to add it with --oidc-issuer, or use a CI auth token');
    }
    const alg = typeof header.alg === 'string' && Object.hasOwn(SIGNATURE, header.alg) ? header.alg : undefined;
    if (!alg || header.crit !== undefined || (header.kid !== undefined && typeof header.kid !== 'string')) throw this.refusal(new errors.JOSEAlgNotAllowed(), issuer, '', claims);
    let key: KeyObject;
    try {
      key = await keys.key({ alg, kid: header.kid as string | undefined });
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JWKSMultipleMatchingKeys) throw this.refusal(error, issuer, '', claims);
      // Discovery or the key set could not be fetched: the issuer (or the way to it) is down, not the token wrong.
      throw new ApiError(503, 'licensing.oidc.issuer_unavailable', `the keys of ${issuer} cannot be fetched now; try again`, { cause: error, headers: { 'retry-after': String(OIDC.retryAfterS) } });
    }
    const { hash, options } = SIGNATURE[alg]!;
    // A bare KeyObject where no options are needed: node:crypto's option object costs a third more.
    if (!verifySignature(hash, Buffer.from(signed), options ? { key, ...options } : key, signature)) throw this.refusal(new errors.JWSSignatureVerificationFailed(), issuer, '', claims);
    return { issuer, claims: this.checkClaims(claims, issuer, now) };
  }

  /** aud, exp, nbf and iat (with the skew), once the signature holds. */
  private checkClaims(claims: JWTPayload & Record<string, unknown>, issuer: string, now: Date): VerifiedIdToken['claims'] {
    const audience = this.audience();
    const t = now.getTime() / 1000;
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || (claims.nbf !== undefined && typeof claims.nbf !== 'number')) {
      throw refuse('malformed', 'The ID token has no valid exp or iat claim', 'Pass the ID token of your CI platform unchanged', 400);
    }
    if (![claims.aud ?? []].flat().includes(audience)) throw this.refusal(new errors.JWTClaimValidationFailed('aud', claims, 'aud'), issuer, audience, claims);
    if (claims.exp <= t - OIDC.skewS) throw this.refusal(new errors.JWTExpired('exp', claims, 'exp'), issuer, audience, claims);
    if ((claims.nbf ?? 0) > t + OIDC.skewS || claims.iat > t + OIDC.skewS) {
      throw refuse('not_yet_valid', 'The ID token is not valid yet by this server\'s clock', 'Check the clock (NTP) of the license server');
    }
    return claims;
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
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
      return refuse('signature', `The ID token's signature does not verify with the published keys of ${issuer}`, 'Pass the ID token of your CI platform unchanged; a token that was altered or made up is never accepted');
    }
    return error;
  }
}
