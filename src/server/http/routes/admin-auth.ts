import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { bearer } from './context.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The operator's check for the admin API and the console's admin routes: ADMIN_TOKEN as a bearer, compared in constant time. */
export function requireAdminToken(request: FastifyRequest, adminToken: string | undefined): void {
  if (!adminToken) throw new ApiError(403, 'admin.disabled', 'the admin API is disabled; start the server with ADMIN_TOKEN set');
  const value = bearer(request);
  if (!value || !timingSafeEqual(digest(value), digest(adminToken))) throw new ApiError(401, 'auth.invalid', 'send the admin token as "Authorization: Bearer …"');
}
