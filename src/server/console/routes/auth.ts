import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeEmail } from '../../accounts/email.ts';
import { hashCredential } from '../../../core/credentials.ts';
import { CONSOLE } from '../constants.ts';
import { html, type Console } from '../context.ts';
import { dummyHash, hashPassword, verifyPassword } from '../passwords.ts';
import { invitationPage, signInPage, signUpPage } from '../views/auth-pages.ts';
import { failurePage } from '../views/failure-page.ts';
import { keyOf, open, seal, secretHash } from '../vault.ts';

type Form = Record<string, string | undefined>;
const text = { type: 'string', maxLength: 320 } as const;
const formSchema = (required: string[]) => ({ body: { type: 'object', properties: { email: text, password: { type: 'string', maxLength: CONSOLE.passwordMax }, workspace: { type: 'string', maxLength: 200 }, code: text, _csrf: text, next: text }, required } });

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const normalEmail = (v: string | undefined) => normalizeEmail(v ?? '');
const passwordProblem = (p: string | undefined) =>
  !p || p.length < CONSOLE.passwordMin ? `Choose a password of at least ${CONSOLE.passwordMin} characters.` : undefined;

/** Only a path of this site: never an absolute or protocol-relative URL (no open redirect). */
const safeNext = (next: string | undefined) => (next && /^\/[A-Za-z0-9/_-]*$/.test(next) && !next.startsWith('//') ? next : '/getting-started');

export function authRoutes(app: FastifyInstance, c: Console): void {
  const perEmail = c.store.rateLimiter(CONSOLE.signInPerEmail);
  const perClient = c.store.rateLimiter(CONSOLE.signInPerClient);

  /** Seconds to wait when this client or this address has tried too often, else 0. */
  const throttled = async (request: FastifyRequest, email: string) => {
    const now = c.clock().getTime();
    // Prefixed: on PostgreSQL these counters share a table with the API's per-credential ones.
    const [client, address] = await Promise.all([perClient.hit(`console:client:${request.ip}`, now), email ? perEmail.hit(`console:email:${hashCredential(email)}`, now) : 0]);
    return Math.max(client, address);
  };
  const tooMany = (reply: FastifyReply, wait: number) => {
    reply.header('retry-after', String(wait));
    return html(reply, failurePage({ csrf: reply.generateCsrf(), title: 'Too many attempts', message: `Too many attempts from here or for this email. Wait ${wait} seconds, then try again.`, action: { href: '/sign-in', label: 'Back to sign in' } }), 429);
  };
  /** A new session id at every sign-in (no fixation); the one this browser had ends. */
  const signInAs = async (request: FastifyRequest, reply: FastifyReply, memberId: string, key: Buffer, next?: string) => {
    await c.sessions.end(request.cookies[CONSOLE.sessionCookie]);
    return signedInWith(reply, await c.sessions.start(memberId, key), next);
  };
  const signedInWith = (reply: FastifyReply, session: string, next?: string) => {
    c.setSessionCookie(reply, session);
    return reply.redirect(safeNext(next), 303);
  };

  app.get('/', async (_request, reply) => reply.redirect('/getting-started', 303));

  /** Someone signed in who opens sign-in or sign-up goes on to the console. */
  const alreadyIn = async (request: FastifyRequest) => (await c.sessions.resolve(request.cookies[CONSOLE.sessionCookie])).kind === 'active';

  app.get('/sign-in', async (request, reply) => {
    const q = request.query as Form;
    if (await alreadyIn(request)) return reply.redirect(safeNext(q.next), 303);
    return html(reply, signInPage({ csrf: reply.generateCsrf(), next: q.next, notice: q.next ? 'Sign in to see that page.' : undefined }));
  });
  app.post('/sign-in', { schema: formSchema(['email', 'password']) }, async (request, reply) => {
    const form = request.body as Form;
    const email = normalEmail(form.email);
    const wait = await throttled(request, email);
    if (wait > 0) return tooMany(reply, wait);
    const logins = await c.store.loginsByEmail(email);
    if (logins.length === 0) await verifyPassword(form.password ?? '', await dummyHash());
    for (const login of logins) {
      const key = await verifyPassword(form.password ?? '', login.password_hash);
      if (key && (await c.accounts.store.member(login.member_id))) return signInAs(request, reply, login.member_id, key, form.next);
    }
    return html(reply, signInPage({ csrf: reply.generateCsrf(), email, next: form.next, error: 'The email or the password is wrong.' }), 401);
  });

  app.get('/sign-up', async (request, reply) => ((await alreadyIn(request)) ? reply.redirect('/getting-started', 303) : html(reply, signUpPage({ csrf: reply.generateCsrf() }))));
  app.post('/sign-up', { schema: formSchema(['email', 'password']) }, async (request, reply) => {
    const form = request.body as Form;
    const email = normalEmail(form.email);
    const workspaceName = (form.workspace ?? '').trim() || `${email.split('@')[0]}'s workspace`;
    const again = (error: string, status: number) => html(reply, signUpPage({ csrf: reply.generateCsrf(), email, workspace: form.workspace, error }), status);
    if (!EMAIL.test(email)) return again('Enter an email address such as you@example.com.', 400);
    const weak = passwordProblem(form.password);
    if (weak) return again(weak, 400);
    const wait = await throttled(request, '');
    if (wait > 0) return tooMany(reply, wait);
    const taken = 'An account with this email exists already: sign in instead.';
    if ((await c.store.loginsByEmail(email)).length > 0) return again(taken, 409);
    const { hash, key } = await hashPassword(form.password!);
    const now = c.clock();
    // Workspace, owner and password in one transaction; the email is checked again inside it, where no other sign-up can interleave.
    // The first session too: a sign-up answered 503 has stored nothing.
    const session = await c.store.transaction(async (accounts, console) => {
      if ((await console.loginsByEmail(email)).length > 0) return undefined;
      const workspace = await accounts.createWorkspace({ name: workspaceName }, now);
      const added = await accounts.addMember(workspace.id, { email, role: 'owner' });
      await console.setLogin({ member_id: added.member.id, email, password_hash: hash, token_box: seal(key, added.authToken), created_at: now.toISOString() });
      await c.sessions.end(request.cookies[CONSOLE.sessionCookie], console);
      return c.sessions.start(added.member.id, key, console);
    });
    if (!session) return again(taken, 409);
    return signedInWith(reply, session);
  });

  app.post('/sign-out', async (request, reply) => {
    await c.sessions.end(request.cookies[CONSOLE.sessionCookie]);
    reply.clearCookie(CONSOLE.sessionCookie, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });

  app.get('/accept-invitation', async (_request, reply) => html(reply, invitationPage({ csrf: reply.generateCsrf() })));
  app.post('/accept-invitation', { schema: formSchema(['code', 'password']) }, async (request, reply) => {
    const form = request.body as Form;
    const weak = passwordProblem(form.password);
    if (weak) return html(reply, invitationPage({ csrf: reply.generateCsrf(), error: weak }), 400);
    const code = (form.code ?? '').trim().replace(/^.*#/, '');
    const { hash, key } = await hashPassword(form.password!);
    const now = c.clock().toISOString();
    // Taking the invitation, setting the password and the first session happen together: a failure leaves the link usable.
    const session = !code ? undefined : await c.store.transaction(async (accounts, console) => {
      const invitation = await console.takeInvitation(secretHash(code), now);
      const member = invitation && (await accounts.tx.member(invitation.member_id));
      if (!invitation || !member) return undefined;
      let token = open(keyOf(code, 'invitation'), invitation.token_box)?.toString();
      // Invited by the operator (seed, admin API): the console never saw this token. Nothing has activated with it yet,
      // so a new one breaks nothing, and the member can see it from now on; one in use is kept.
      if (!(token && hashCredential(token) === member.token_hash) && !(await accounts.tx.sql.get('SELECT 1 AS used FROM activations WHERE subject = ? LIMIT 1', member.id))) {
        token = await accounts.rotateMemberToken(member.id);
      }
      await console.setLogin({
        member_id: member.id, email: member.email.toLowerCase(), password_hash: hash,
        token_box: token && (await accounts.tx.member(member.id))!.token_hash === hashCredential(token) ? seal(key, token) : null, created_at: now,
      });
      // A new password ends every session that the old one opened.
      await console.deleteSessionsOf(member.id);
      await c.sessions.end(request.cookies[CONSOLE.sessionCookie], console);
      return c.sessions.start(member.id, key, console);
    });
    if (!session) {
      return html(reply, failurePage({ csrf: reply.generateCsrf(), title: 'This invitation cannot be used', message: 'The invitation link is unknown, used already or expired. Ask your workspace admin for a new one.', action: { href: '/sign-in', label: 'Go to sign in' } }), 410);
    }
    return signedInWith(reply, session);
  });
}
