import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { FastifyError, FastifyInstance } from 'fastify';
import { maskSecrets } from '../../core/redact.ts';
import { ApiError, StoreError } from '../errors.ts';
import { PostgresStore } from '../storage/postgres/store.ts';
import { SqliteStore } from '../storage/sqlite/store.ts';
import type { Store } from '../storage/store.ts';
import { ASSETS } from './assets.ts';
import { CONSOLE } from './constants.ts';
import { Console, html, type ConsoleOptions } from './context.ts';
import { PostgresConsoleStore } from './postgres-store.ts';
import { SqliteConsoleStore, type ConsoleStore } from './store.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes } from './routes/auth.ts';
import { licenseRoutes } from './routes/license.ts';
import { memberRoutes } from './routes/members.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { failurePage } from './views/failure-page.ts';

export type { ConsoleOptions } from './context.ts';
export type { ConsoleStore } from './store.ts';

/** The console's tables beside the server's, in the same database, written through the store's own write path. */
export function consoleStoreFor(store: Store): ConsoleStore | undefined {
  if (store instanceof SqliteStore) return new SqliteConsoleStore(store.db, (fn) => store.write(fn));
  if (store instanceof PostgresStore) return new PostgresConsoleStore(store);
  return undefined;
}

const CSP = {
  defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"],
  formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
};

/** The failures a reader can meet, said as a page. */
function failureOf(error: FastifyError & { status?: number }): { status: number; title: string; message: string; retryAfter?: number } {
  if (error instanceof StoreError) {
    return error.transient
      ? { status: 503, title: 'The server is busy', message: `Nothing was saved. Try again in ${error.retryAfterS} second${error.retryAfterS === 1 ? '' : 's'}.`, retryAfter: error.retryAfterS }
      : { status: 503, title: 'The server cannot save right now', message: `Nothing was saved (${error.code}). The operator has been told in the server's log; try again later.`, retryAfter: error.retryAfterS };
  }
  if (error.code?.startsWith('FST_CSRF')) return { status: 403, title: 'This form has expired', message: 'The form was open too long or came from another site. Go back, reload the page and try again.' };
  if (error instanceof ApiError && error.status === 404) return { status: 404, title: 'Not found', message: 'That member or token does not exist in your workspace (any more).' };
  // A rule decided again inside the transaction (the actor's role changed meanwhile) refuses like the first check.
  if (error instanceof ApiError && error.status === 403) return { status: 403, title: 'You do not have permission', message: `You cannot do this: ${error.message}.` };
  if (error instanceof ApiError && error.status < 500) return { status: error.status, title: 'That could not be done', message: `${error.message}.` };
  // Fastify's own errors carry statusCode, some plugins' (body parsers) only status: a client's mistake either way.
  const status = error.statusCode ?? error.status;
  if (error.validation || status === 400) return { status: 400, title: 'That form did not make sense', message: 'Some fields were missing or too long. Go back and check them.' };
  if (status === 413) return { status: 413, title: 'Too much data', message: 'That form was larger than this server accepts.' };
  if (status === 415) return { status: 415, title: 'That was not a form', message: 'The console takes forms sent by its own pages. Go back, reload the page and try again.' };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, title: 'That request did not make sense', message: 'Go back, reload the page and try again.' };
  return { status: 500, title: 'Something went wrong', message: 'The console could not finish that and saved nothing half-done. Try again in a moment; the server’s log says what went wrong.' };
}

/** The web console (DESIGN section 11): server-rendered pages, a client of the same Accounts as the API. */
export async function consolePlugin(app: FastifyInstance, options: Omit<ConsoleOptions, 'store'> & { store: ConsoleStore | undefined }): Promise<void> {
  if (!options.store) {
    // The API keeps working; only the pages are missing for a store without the console's tables.
    console.error('license-server: the web console is off: this store has no console storage');
    return;
  }
  const c = new Console({ ...options, store: options.store });

  app.get(`${CONSOLE.assetsPrefix}/:name`, async (request, reply) => {
    const asset = ASSETS[(request.params as { name: string }).name];
    if (!asset) throw new ApiError(404, 'request.not_found', 'no such console asset');
    reply.header('cache-control', 'public, max-age=3600').header('etag', asset.etag).header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });

  await app.register(async (admin) => adminRoutes(admin, c, options.adminToken));

  await app.register(async (pages) => {
    await pages.register(cookie);
    await pages.register(formbody, { bodyLimit: 16 * 1024 });
    await pages.register(csrf, { cookieKey: CONSOLE.csrfCookie, cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: c.secureCookies } });
    await pages.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP }, crossOriginEmbedderPolicy: false });
    pages.addHook('onSend', async (_request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      return payload;
    });
    // Every state change carries the form's CSRF token (checked once the body is parsed).
    pages.addHook('preValidation', (request, reply, done) => (request.method === 'POST' ? pages.csrfProtection(request, reply, done) : done()));
    pages.setErrorHandler(async (error: FastifyError, request, reply) => {
      const f = failureOf(error);
      if (f.status >= 500) console.error(maskSecrets(`${request.method} ${request.url.split('?')[0]}: ${error instanceof StoreError ? `${error.code}: ${error.message}` : (error.stack ?? error)}`));
      if (f.retryAfter) reply.header('retry-after', String(f.retryAfter));
      return html(reply, failurePage({ csrf: reply.generateCsrf(), title: f.title, message: f.message, action: { href: '/getting-started', label: 'Back to the console' } }), f.status);
    });
    authRoutes(pages, c);
    licenseRoutes(pages, c);
    tokenRoutes(pages, c);
    memberRoutes(pages, c);
    // A mistyped workspace address gets a page, not the API's JSON 404.
    await pages.register(async (workspace) => {
      workspace.setNotFoundHandler((_request, reply) => html(reply, failurePage({
        csrf: reply.generateCsrf(), title: 'No such page', message: 'There is no page at this address.', action: { href: '/getting-started', label: 'Go to Getting Started' },
      }), 404));
    }, { prefix: '/workspace' });
  });
}
