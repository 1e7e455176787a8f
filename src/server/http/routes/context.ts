import type { FastifyRequest } from 'fastify';
import { normalizeCredential } from '../../../core/credentials.ts';
import type { Accounts } from '../../accounts/model.ts';
import { ApiError } from '../../errors.ts';
import { shownField } from '../http-errors.ts';
import type { RateLimit } from '../rate-limit.ts';
import type { LicenseSigner } from '../../signing/keys.ts';
import type { OidcVerifier } from '../../oidc/verifier.ts';

/** What every route group is given: the account model, the keys, the clock; nothing global. */
export interface RouteContext {
  accounts: Accounts;
  keys: LicenseSigner;
  limiter: RateLimit;
  adminToken: string | undefined;
  /** Read per request: with --port 0 the issuer is known only once the server listens. */
  issuer: () => string;
  clock: () => Date;
  /** The CI ID tokens this server accepts (its trusted issuers and audience). */
  oidc: OidcVerifier;
}

/** The credential of "Authorization: Bearer …", normalised; undefined when there is none. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header && /^Bearer\s+(.+)$/i.exec(header);
  return normalizeCredential(match?.[1]);
}

/** An endpoint without a body schema refuses fields in a body (Fastify would ignore them): nothing sent is silently dropped. */
export async function refuseUnexpectedBody(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (request.routeOptions.schema?.body || body === undefined || body === null) return;
  const field = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : '';
  if (field === undefined) return;
  throw new ApiError(400, 'request.invalid', field
    ? `invalid request: body.${shownField(field)} is not a known field; this endpoint takes no body`
    : 'invalid request: this endpoint takes no body; send none or an empty JSON object');
}
