import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActivationRow } from '../../storage/store.ts';
import { html, type Console, type SignedIn } from '../context.ts';
import { failurePage } from '../views/failure-page.ts';

export type Form = Record<string, string | undefined>;
export type Id = { id: string };
export type Handler = (s: SignedIn, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Every workspace page: signed in, or the sign-in redirect / expired-session page already sent. */
export const signedIn = (c: Console, handler: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
  const s = await c.signedIn(request, reply);
  return s ? handler(s, request, reply) : reply;
};

/** The no-permission page, saying which rule refused. */
export const denied = (s: SignedIn, reply: FastifyReply, why: string) =>
  html(reply, failurePage({ csrf: s.csrf, viewer: s.viewer, title: 'You do not have permission', message: `You cannot do this: ${why}.`, action: { href: '/getting-started', label: 'Back to Getting Started' } }), 403);

/** Runs the handler only for a member whose role passes `allowed`; the others get the no-permission page. */
export const only = (allowed: (s: SignedIn) => boolean, why: (s: SignedIn) => string, handler: Handler): Handler => async (s, request, reply) =>
  allowed(s) ? handler(s, request, reply) : denied(s, reply, why(s));

/** The newest activation time of each subject (member or CI token) among the workspace's recent ones. */
export function lastUse(activations: ActivationRow[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const a of activations) if ((last.get(a.subject) ?? '') < a.at) last.set(a.subject, a.at);
  return last;
}
