import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { CONSOLE, hoursFrom } from '../constants.ts';
import type { Console } from '../context.ts';
import { newSecret, secretHash } from '../vault.ts';

const digest = (v: string) => createHash('sha256').update(v).digest();

/** The operator's side: a one-time link for a member created by the seed or the admin API (JSON, error shape of section 4). */
export function adminRoutes(app: FastifyInstance, c: Console, adminToken: string | undefined): void {
  const admin = (request: FastifyRequest) => {
    if (!adminToken) throw new ApiError(403, 'admin.disabled', 'the admin API is disabled; start the server with ADMIN_TOKEN set');
    const m = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1].trim()), digest(adminToken))) throw new ApiError(401, 'auth.invalid', 'send the admin token as "Authorization: Bearer …"');
  };

  app.post('/admin/v1/members/:id/invitation', { onRequest: async (request) => admin(request) }, async (request, reply) => {
    const member = await c.accounts.requireMember((request.params as { id: string }).id);
    const code = newSecret();
    const now = c.clock();
    const expiresAt = hoursFrom(now, CONSOLE.invitationHours);
    // The member's token is not known here (only its hash is kept): the invitation sets a password, not a token.
    await c.store.createInvitation({ code_hash: secretHash(code), member_id: member.id, token_box: null, created_at: now.toISOString(), expires_at: expiresAt });
    return reply.code(201).header('cache-control', 'no-store').send({ email: member.email, link: c.invitationLink(request, code), expiresAt });
  });
}
