import type { FastifyInstance } from 'fastify';
import { requireAdminToken } from '../../http/routes/admin-auth.ts';
import { CONSOLE, hoursFrom } from '../constants.ts';
import type { Console } from '../context.ts';
import { newSecret, secretHash } from '../vault.ts';

/** The operator's side: a one-time link for a member created by the seed or the admin API (JSON, error shape of section 4). */
export function adminRoutes(app: FastifyInstance, c: Console, adminToken: string | undefined): void {
  app.post('/admin/v1/members/:id/invitation', { onRequest: async (request) => requireAdminToken(request, adminToken) }, async (request, reply) => {
    const member = await c.accounts.requireMember((request.params as { id: string }).id);
    const code = newSecret();
    const now = c.clock();
    const expiresAt = hoursFrom(now, CONSOLE.invitationHours);
    // The member's token is not known here (only its hash is kept): the invitation sets a password, not a token.
    await c.store.createInvitation({ code_hash: secretHash(code), member_id: member.id, token_box: null, created_at: now.toISOString(), expires_at: expiresAt });
    return reply.code(201).header('cache-control', 'no-store').send({ email: member.email, link: c.invitationLink(request, code), expiresAt });
  });
}
