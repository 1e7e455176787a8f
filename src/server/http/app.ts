import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { maskCredential } from '../../core/credentials.ts';
import type { Accounts } from '../accounts/model.ts';
import { consolePlugin, consoleStoreFor } from '../console/index.ts';
import { SERVER_DEFAULTS } from '../constants.ts';
import { ApiError } from '../errors.ts';
import { clientErrorHandler, errorHandler, frameworkErrors, send } from './http-errors.ts';
import { REDACT } from './access-log.ts';
import { createMetrics, type PoolStats } from './metrics.ts';
import { RateLimiter, type RateLimit } from './rate-limit.ts';
import { activationRoutes } from './routes/activation.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminSecretScanningRoutes } from './routes/admin-secret-scanning.ts';
import type { RouteContext } from './routes/context.ts';
import { addOperatorRoutes } from './routes/operator.ts';
import { secretScanningRoutes } from './routes/secret-scanning.ts';
import { selfServiceRoutes } from './routes/self-service.ts';
import type { ScannerKeys } from '../secret-scanning/keys.ts';
import { validatorCompiler } from './schemas.ts';
import type { LicenseSigner } from '../signing/keys.ts';
import { OidcVerifier } from '../oidc/verifier.ts';
import { OIDC } from '../constants.ts';

export interface ServerOptions {
  accounts: Accounts;
  keys: LicenseSigner;
  rateLimit: number;
  /** A limiter shared by replicas (PostgreSQL); without it, counted in this process. */
  limiter?: RateLimit;
  /** GET /ready's check; by default one read of the store. */
  ping?: () => Promise<unknown>;
  /** The database pool's use, for /metrics. */
  poolStats?: () => PoolStats;
  /** The access log (JSON lines); none without it. */
  log?: { level: string; stream?: { write(line: string): unknown } };
  adminToken?: string;
  /** Read per request: main sets it once the port is known. */
  issuer: string;
  clock: () => Date;
  /** The secret scanning partner endpoint's verification keys; without them the endpoint does not exist (404). */
  scannerKeys?: ScannerKeys;
  /** The CI ID tokens accepted; by default the built-in issuers, for the audience `issuer`. */
  oidc?: OidcVerifier;
}

/** Turns a route pattern such as /v1/ci-tokens/:id/rotate into a regular expression, for 405 answers. */
function patternOf(url: string): RegExp {
  return new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}/?$`);
}

/** The path as an answer may show it: without the query, credential-shaped parts masked, bounded. */
function shownPath(url: string): string {
  const path = url.split('?')[0].replace(/\b(?:lsci-|ls-)[A-Za-z0-9-]{4,}/g, (token) => maskCredential(token));
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/** Only JSON bodies; an empty body is "no body" whatever its type, so body-less endpoints accept what HTTP clients send. */
function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new ApiError(400, 'request.malformed_json', 'the request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    done(new ApiError(415, 'request.unsupported_media_type', 'send the body as application/json'), undefined);
  });
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: SERVER_DEFAULTS.bodyLimit,
    logger: options.log ? { level: options.log.level, redact: REDACT, ...(options.log.stream ? { stream: options.log.stream } : {}) } : false,
    // One access line per request from the operator hooks instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify's own closing answer has no code and no Retry-After; the first onRequest hook below answers in the error shape.
    return503OnClosing: false,
    // Node would answer a request without Host with an empty 400 of its own; the hook below answers it in the error shape.
    http: { requireHostHeader: false },
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const routes: { method: string; pattern: RegExp }[] = [];

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, pattern: patternOf(route.url) });
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request) => {
    // A request on a keep-alive connection that arrives once the shutdown began: come back to another replica, or soon.
    if (closing) throw new ApiError(503, 'server.closing', 'the license server is shutting down; try again', { headers: { 'retry-after': '1', connection: 'close' } });
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new ApiError(400, 'request.missing_host', 'an HTTP/1.1 request needs a Host header');
    }
  });
  registerBodyParsers(app);
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const path = shownPath(request.url);
    const allowed = routes.filter((r) => r.method !== 'HEAD' && r.pattern.test(request.url.split('?')[0])).map((r) => r.method);
    if (allowed.length > 0) {
      return send(reply, new ApiError(405, 'request.method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`, { headers: { allow: allowed.join(', ') } }));
    }
    return send(reply, new ApiError(404, 'request.not_found', `no route ${request.method} ${path}`));
  });

  addOperatorRoutes(app, {
    metrics: createMetrics(options.poolStats), accessLog: !!options.log,
    ping: options.ping ?? (() => options.accounts.store.setting('started_at')),
  });
  const ctx: RouteContext = {
    accounts: options.accounts, keys: options.keys, limiter: options.limiter ?? new RateLimiter(options.rateLimit), adminToken: options.adminToken,
    issuer: () => options.issuer, clock: options.clock,
    oidc: options.oidc ?? new OidcVerifier(OIDC.builtInIssuers, () => options.issuer),
  };
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/.well-known/jwks.json', async () => options.keys.publicKeys());
  app.register(activationRoutes, ctx);
  app.register(selfServiceRoutes, ctx);
  if (options.scannerKeys) app.register(secretScanningRoutes, { ...ctx, scannerKeys: options.scannerKeys });
  app.register(adminRoutes, { ...ctx, prefix: '/admin/v1' });
  app.register(adminSecretScanningRoutes, { ...ctx, prefix: '/admin/v1' });
  app.register(consolePlugin, {
    accounts: options.accounts, clock: options.clock, adminToken: options.adminToken, publicUrl: () => options.issuer, store: consoleStoreFor(options.accounts.store),
    keys: options.keys,
    oidcIssuers: () => ctx.oidc.issuers(),
  });
  return app;
}
