import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SERVER_DEFAULTS } from '../core/constants.ts';
import { normalizeCredential, parseCredential, hashCredential, type Credential } from '../core/credentials.ts';
import { CredentialError } from '../core/errors.ts';
import { signLicense } from '../core/license.ts';
import { Accounts, CI_MANAGERS, ROLES, type LegacyPolicy } from './accounts.ts';
import { decideActivation, type ActivationRequest } from './activation.ts';
import { consolePlugin, SqliteConsoleStore } from './console/index.ts';
import { ApiError } from './errors.ts';
import { RateLimiter } from './rate-limit.ts';
import { rotateSigningKey, type SigningKeys } from './signing-keys.ts';
import type { MemberRow, Role } from './store.ts';

const BODY_LIMIT = SERVER_DEFAULTS.bodyLimit;

export interface ServerOptions {
  accounts: Accounts;
  keys: SigningKeys;
  dataDir: string;
  rateLimit: number;
  adminToken?: string;
  issuer: string;
  clock: () => Date;
}

const iso = { type: 'string', format: 'date-time' } as const;
const roleSchema = { type: 'string', enum: ROLES } as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', properties, required, additionalProperties: false }) as const;

const schemas = {
  activate: obj({
    product: { type: 'string', const: 'localstack-pro' }, version: { type: 'string', maxLength: 64 }, ci: { type: 'boolean' },
    ciProvider: { type: ['string', 'null'], maxLength: 64 }, machineId: { type: 'string', maxLength: 128 },
  }, ['product', 'version', 'ci']),
  ciTokenName: obj({ name: { type: 'string', minLength: 1, maxLength: 100 } }, ['name']),
  workspace: obj({ id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, name: { type: 'string', minLength: 1, maxLength: 200 } }, ['name']),
  member: obj({ email: { type: 'string', format: 'email' }, role: roleSchema, licensed: { type: 'boolean' } }, ['email', 'role']),
  seat: obj({ licensed: { type: 'boolean' } }, ['licensed']),
  role: obj({ role: roleSchema }, ['role']),
  license: obj({
    type: { type: 'string', enum: ['trial', 'subscription'] }, plan: { type: 'string', minLength: 1 },
    seats: { type: ['integer', 'null'], minimum: 0 }, startsAt: { ...iso, type: ['string', 'null'] }, expiresAt: { ...iso, type: ['string', 'null'] },
  }, ['type', 'plan']),
  policy: obj({
    downtimes: { type: 'array', items: obj({ start: iso, end: iso }, ['start', 'end']) },
    sunsetAt: { ...iso, type: ['string', 'null'] },
  }, ['downtimes', 'sunsetAt']),
};

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header && /^Bearer\s+(.+)$/i.exec(header);
  return normalizeCredential(match?.[1]);
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const FASTIFY_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'request.malformed_json', 'the request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'request.malformed_json', 'the request body is empty; send a JSON object'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'request.too_large', `the request body is over ${BODY_LIMIT / 1024} KiB`],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'request.unsupported_media_type', 'send the body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'request.invalid', 'the Content-Length does not match the body'],
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as { code?: string; validation?: unknown; message?: string; statusCode?: number };
  if (e.validation) return new ApiError(400, 'request.invalid', `invalid request: ${e.message}`, { cause: error });
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && error instanceof SyntaxError)) {
    return new ApiError(400, 'request.malformed_json', 'the request body is not valid JSON', { cause: error });
  }
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return new ApiError(known[0], known[1], known[2], { cause: error });
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, 'request.invalid', e.message ?? 'bad request', { cause: error });
  return new ApiError(500, 'server.internal', 'internal server error', { cause: error });
}

function send(reply: FastifyReply, error: ApiError) {
  return reply.code(error.status).headers(error.headers).send({ error: { code: error.code, message: error.message } });
}

/** Turns a route pattern such as /v1/ci-tokens/:id/rotate into a regular expression, for 405 answers. */
function patternOf(url: string): RegExp {
  return new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}/?$`);
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const { accounts, clock } = options;
  let keys = options.keys;
  const limiter = new RateLimiter(options.rateLimit);
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false, return503OnClosing: true, ajv: { customOptions: { allErrors: false } } });
  const routes: { method: string; pattern: RegExp }[] = [];

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, pattern: patternOf(route.url) });
  });
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) console.error(`${request.method} ${request.url}: ${(error as Error).stack ?? error}`);
    return send(reply, apiError);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = routes.filter((r) => r.method !== 'HEAD' && r.pattern.test(path)).map((r) => r.method);
    if (allowed.length > 0) {
      return send(reply, new ApiError(405, 'request.method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`, { headers: { allow: allowed.join(', ') } }));
    }
    return send(reply, new ApiError(404, 'request.not_found', `no route ${request.method} ${path}`));
  });

  /** The member behind a developer token, for the self-service API. */
  const me = (request: FastifyRequest): MemberRow => {
    const value = bearer(request);
    const principal = value?.startsWith('ls-') ? accounts.resolve({ kind: 'developer', value }) : undefined;
    if (!principal || principal.kind !== 'developer') {
      throw new ApiError(401, 'auth.invalid', 'send your developer auth token as "Authorization: Bearer ls-…"');
    }
    return principal.member;
  };
  const ciManager = (request: FastifyRequest): MemberRow => {
    const member = me(request);
    if (!CI_MANAGERS.includes(member.role)) {
      throw new ApiError(403, 'permission.denied', `role ${member.role} may not manage CI tokens; ask a workspace admin or owner`);
    }
    return member;
  };
  const admin = (request: FastifyRequest): void => {
    if (!options.adminToken) throw new ApiError(403, 'admin.disabled', 'the admin API is disabled; start the server with ADMIN_TOKEN set');
    const value = bearer(request);
    if (!value || !sameSecret(value, options.adminToken)) throw new ApiError(401, 'auth.invalid', 'send the admin token as "Authorization: Bearer …"');
  };

  app.register(consolePlugin, { accounts, clock, adminToken: options.adminToken, store: new SqliteConsoleStore(accounts.store.db) });

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/.well-known/jwks.json', async () => keys.jwks);

  app.post('/v1/license/activate', { schema: { body: schemas.activate } }, async (request, reply) => {
    const value = bearer(request);
    if (!value) throw new ApiError(401, 'licensing.credentials.invalid', 'no credentials: send "Authorization: Bearer <auth token>"');
    let credential: Credential;
    try {
      credential = parseCredential(value);
    } catch (cause) {
      if (cause instanceof CredentialError) throw new ApiError(400, 'licensing.credentials.format', cause.message, { cause });
      throw cause;
    }
    const now = clock();
    const wait = limiter.hit(hashCredential(value), now.getTime());
    if (wait > 0) {
      throw new ApiError(429, 'licensing.rate_limited', `too many activations with this credential; retry in ${wait} s`, { headers: { 'retry-after': String(wait) } });
    }
    const principal = accounts.resolve(credential);
    if (!principal) throw new ApiError(401, 'licensing.credentials.invalid', 'the credentials are unknown, rotated or deleted');
    const body = request.body as ActivationRequest;
    const claims = decideActivation({
      credential, principal, license: accounts.effectiveLicense(principal.workspace), policy: () => accounts.legacyPolicy(),
      request: body, issuer: options.issuer, now,
    });
    const license = await signLicense(claims, keys);
    accounts.store.recordActivation({
      id: claims.jti, workspace_id: principal.workspace.id, subject: principal.id, at: now.toISOString(), ci: body.ci ? 1 : 0,
      ci_provider: body.ciProvider ?? null, version: body.version, machine_id: body.machineId ?? null,
    });
    return reply.code(200).send({ license });
  });

  app.get('/v1/me', async (request) => {
    const member = me(request);
    const workspace = accounts.requireWorkspace(member.workspace_id);
    const lic = accounts.effectiveLicense(workspace);
    const covered = lic.implicit || member.licensed === 1;
    const now = clock().getTime();
    const status = now >= Date.parse(lic.expiresAt) ? 'EXPIRED' : now < Date.parse(lic.startsAt) ? 'PENDING' : 'ACTIVE';
    return {
      email: member.email, role: member.role, workspace: { id: workspace.id, name: workspace.name },
      license: covered ? { type: lic.type, plan: lic.plan, status, expiresAt: lic.expiresAt } : null,
    };
  });
  app.post('/v1/me/auth-token/rotate', async (request) => ({ authToken: accounts.rotateMemberToken(me(request).id) }));

  app.get('/v1/ci-tokens', async (request) => ({ ciTokens: accounts.listCiTokens(ciManager(request).workspace_id) }));
  app.post('/v1/ci-tokens', { schema: { body: schemas.ciTokenName } }, async (request, reply) => {
    const { ciToken, token } = accounts.createCiToken(ciManager(request).workspace_id, (request.body as { name: string }).name, clock());
    return reply.code(201).send({ id: ciToken.id, name: ciToken.name, token });
  });
  app.post('/v1/ci-tokens/:id/rotate', async (request) => {
    return { token: accounts.rotateCiToken(ciManager(request).workspace_id, (request.params as { id: string }).id) };
  });
  app.delete('/v1/ci-tokens/:id', async (request, reply) => {
    accounts.deleteCiToken(ciManager(request).workspace_id, (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.register(async (adminApi) => {
    adminApi.addHook('onRequest', async (request) => admin(request));
    type Ws = { ws: string };
    type Id = { id: string };
    const describe = (wsId: string) => {
      const ws = accounts.requireWorkspace(wsId);
      return {
        id: ws.id, name: ws.name, createdAt: ws.created_at, license: accounts.effectiveLicense(ws),
        members: accounts.store.members(ws.id).map((m) => ({ id: m.id, email: m.email, role: m.role, licensed: m.licensed === 1, authToken: m.token_mask, legacyApiKey: m.legacy_key_hash !== null })),
        ciTokens: accounts.listCiTokens(ws.id),
      };
    };
    adminApi.get('/workspaces', async () => ({ workspaces: accounts.store.workspaces().map((w) => ({ id: w.id, name: w.name, createdAt: w.created_at })) }));
    adminApi.post('/workspaces', { schema: { body: schemas.workspace } }, async (request, reply) => {
      const ws = accounts.createWorkspace(request.body as { id?: string; name: string }, clock());
      return reply.code(201).send(describe(ws.id));
    });
    adminApi.get('/workspaces/:ws', async (request) => describe((request.params as Ws).ws));
    adminApi.get('/workspaces/:ws/activations', async (request) => {
      accounts.requireWorkspace((request.params as Ws).ws);
      return { activations: accounts.store.activations((request.params as Ws).ws, 100) };
    });
    adminApi.post('/workspaces/:ws/members', { schema: { body: schemas.member } }, async (request, reply) => {
      const { member, authToken } = accounts.addMember((request.params as Ws).ws, request.body as { email: string; role: Role; licensed?: boolean });
      return reply.code(201).send({ id: member.id, email: member.email, role: member.role, licensed: member.licensed === 1, authToken });
    });
    adminApi.post('/members/:id/auth-token/rotate', async (request) => ({ authToken: accounts.rotateMemberToken((request.params as Id).id) }));
    adminApi.put('/members/:id/seat', { schema: { body: schemas.seat } }, async (request) => {
      const m = accounts.setSeat((request.params as Id).id, (request.body as { licensed: boolean }).licensed);
      return { id: m.id, email: m.email, licensed: m.licensed === 1 };
    });
    adminApi.put('/members/:id/role', { schema: { body: schemas.role } }, async (request) => {
      accounts.setRole((request.params as Id).id, (request.body as { role: Role }).role);
      return { id: (request.params as Id).id, role: (request.body as { role: Role }).role };
    });
    adminApi.post('/members/:id/legacy-key', async (request, reply) => reply.code(201).send({ legacyApiKey: accounts.setLegacyKey((request.params as Id).id) }));
    adminApi.delete('/members/:id/legacy-key', async (request, reply) => {
      accounts.setLegacyKey((request.params as Id).id, null);
      return reply.code(204).send();
    });
    adminApi.get('/workspaces/:ws/ci-tokens', async (request) => {
      accounts.requireWorkspace((request.params as Ws).ws);
      return { ciTokens: accounts.listCiTokens((request.params as Ws).ws) };
    });
    adminApi.post('/workspaces/:ws/ci-tokens', { schema: { body: schemas.ciTokenName } }, async (request, reply) => {
      const { ciToken, token } = accounts.createCiToken((request.params as Ws).ws, (request.body as { name: string }).name, clock());
      return reply.code(201).send({ id: ciToken.id, name: ciToken.name, token });
    });
    adminApi.post('/workspaces/:ws/ci-tokens/:id/rotate', async (request) => {
      const p = request.params as Ws & Id;
      return { token: accounts.rotateCiToken(p.ws, p.id) };
    });
    adminApi.delete('/workspaces/:ws/ci-tokens/:id', async (request, reply) => {
      const p = request.params as Ws & Id;
      accounts.deleteCiToken(p.ws, p.id);
      return reply.code(204).send();
    });
    adminApi.put('/workspaces/:ws/license', { schema: { body: schemas.license } }, async (request) => {
      const ws = (request.params as Ws).ws;
      accounts.setLicense(ws, request.body as Parameters<Accounts['setLicense']>[1]);
      return accounts.effectiveLicense(accounts.requireWorkspace(ws));
    });
    adminApi.delete('/workspaces/:ws/license', async (request) => {
      const ws = (request.params as Ws).ws;
      accounts.endLicense(ws, clock());
      return accounts.effectiveLicense(accounts.requireWorkspace(ws));
    });
    adminApi.get('/legacy-policy', async () => accounts.legacyPolicy());
    adminApi.put('/legacy-policy', { schema: { body: schemas.policy } }, async (request) => {
      accounts.setLegacyPolicy(request.body as LegacyPolicy);
      return accounts.legacyPolicy();
    });
    adminApi.post('/signing-keys/rotate', async () => {
      keys = await rotateSigningKey(options.dataDir);
      return { kid: keys.kid, jwks: keys.jwks };
    });
  }, { prefix: '/admin/v1' });

  return app;
}

