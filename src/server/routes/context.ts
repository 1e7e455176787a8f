import type { FastifyRequest } from 'fastify';
import { normalizeCredential } from '../../core/credentials.ts';
import type { Accounts } from '../accounts.ts';
import type { RateLimit } from '../rate-limit.ts';
import type { LicenseSigner } from '../signing-keys.ts';

/** What every route group is given: the account model, the keys, the clock; nothing global. */
export interface RouteContext {
  accounts: Accounts;
  keys: LicenseSigner;
  limiter: RateLimit;
  adminToken: string | undefined;
  /** Read per request: with --port 0 the issuer is known only once the server listens. */
  issuer: () => string;
  clock: () => Date;
}

/** The credential of "Authorization: Bearer …", normalised; undefined when there is none. */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header && /^Bearer\s+(.+)$/i.exec(header);
  return normalizeCredential(match?.[1]);
}
