import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashCredential, maskCredential } from '../../core/credentials.ts';
import type { Accounts } from '../accounts/model.ts';
import { ApiError } from '../errors.ts';
import type { MemberRow, WorkspaceRow } from '../storage/store.ts';
import { CONSOLE } from './constants.ts';
import { OIDC } from '../constants.ts';
import { Sessions } from './sessions.ts';
import type { ConsoleStore } from './store.ts';
import type { LicenseSigner } from '../signing/keys.ts';
import { failurePage } from './views/failure-page.ts';
import type { Viewer } from './views/layout.ts';
import type { TokenView } from './views/workspace-pages.ts';
import { open } from './vault.ts';

export interface ConsoleOptions {
  accounts: Accounts;
  store: ConsoleStore;
  clock: () => Date;
  adminToken?: string;
  /** The server's public URL (its --issuer): https there means the console is behind TLS even when a proxy speaks plain HTTP to it. */
  publicUrl: () => string;
  /** Signs offline licenses issued on Users & Licenses (issue 21); without it the section says it is unavailable. */
  keys?: LicenseSigner;
  /** The issuers of CI ID tokens the server trusts (the trusted CI identities' form offers them). */
  oidcIssuers?: () => string[];
}

/** The signed-in member of one request. */
export interface SignedIn {
  member: MemberRow;
  workspace: WorkspaceRow;
  /** Unlocks the member's sealed auth token; lives only for this request. */
  key: Buffer;
  csrf: string;
  viewer: Viewer;
}

export class Console {
  readonly accounts: Accounts;
  readonly store: ConsoleStore;
  readonly clock: () => Date;
  readonly sessions: Sessions;
  readonly publicUrl: () => string;
  readonly keys: LicenseSigner | undefined;
  readonly oidcIssuers: () => string[];
  constructor(options: ConsoleOptions) {
    this.publicUrl = options.publicUrl;
    this.keys = options.keys;
    this.oidcIssuers = options.oidcIssuers ?? (() => [...OIDC.builtInIssuers]);
    this.accounts = options.accounts;
    this.store = options.store;
    this.clock = options.clock;
    this.sessions = new Sessions(options.store, options.clock);
  }

  /** Secure when the request came over TLS, or when the public URL is https (TLS ends at a proxy). */
  get secureCookies(): true | 'auto' {
    return this.publicUrl().startsWith('https:') ? true : 'auto';
  }

  setSessionCookie(reply: FastifyReply, secret: string): void {
    reply.setCookie(CONSOLE.sessionCookie, secret, {
      path: '/', httpOnly: true, sameSite: 'lax', secure: this.secureCookies, maxAge: CONSOLE.sessionHours * 3600,
    });
  }

  /** This server as the snippets name it: its API and its public keys, at the address it is reached at. */
  serverView(request: FastifyRequest): { apiEndpoint: string; jwksUrl: string } {
    const base = this.publicUrl().replace(/\/+$/, '') || `${request.protocol}://${request.host}`;
    return { apiEndpoint: `${base}/v1`, jwksUrl: `${base}/.well-known/jwks.json` };
  }

  /** The link a new member opens; the code after # never reaches a server, a log or a Referer. */
  invitationLink(request: FastifyRequest, code: string): string {
    const base = this.publicUrl().replace(/\/+$/, '') || `${request.protocol}://${request.host}`;
    return `${base}/accept-invitation#${code}`;
  }

  /** The member behind the session cookie, or the reply already sent (sign-in redirect, expired-session page). */
  async signedIn(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const state = await this.sessions.resolve(request.cookies[CONSOLE.sessionCookie]);
    const csrf = reply.generateCsrf();
    if (state.kind === 'active') {
      const member = await this.accounts.store.member(state.memberId);
      const workspace = member && (await this.accounts.store.workspace(member.workspace_id));
      if (member && workspace) {
        return { member, workspace, key: state.key, csrf, viewer: { email: member.email, role: member.role, workspace: workspace.name } };
      }
    }
    if (state.kind === 'none') {
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url.split('?')[0])}` : '';
      reply.redirect(`/sign-in${next}`, 303);
      return undefined;
    }
    reply.clearCookie(CONSOLE.sessionCookie, { path: '/' });
    reply.code(401).type('text/html; charset=utf-8').send(failurePage({
      csrf, title: 'Your session has expired', message: `Sessions last ${CONSOLE.sessionHours} hours, or end when you sign out or your password is set again. Sign in to go on.`,
      action: { href: '/sign-in', label: 'Sign in again' },
    }));
    return undefined;
  }

  /** The member's developer token when the console holds it sealed and it is still the current one. */
  async token(s: SignedIn): Promise<TokenView> {
    const login = await this.store.login(s.member.id);
    const value = open(s.key, login?.token_box)?.toString();
    return value && hashCredential(value) === s.member.token_hash ? { value, mask: maskCredential(value) } : { mask: s.member.token_mask };
  }

  /** A member of the viewer's own workspace; any other id is "not found", whoever owns it. */
  async memberOfWorkspace(s: SignedIn, id: string): Promise<MemberRow> {
    const m = await this.accounts.store.member(id);
    if (!m || m.workspace_id !== s.workspace.id) throw new ApiError(404, 'resource.not_found', 'that member is not in your workspace');
    return m;
  }
}

export const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body);
