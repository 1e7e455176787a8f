// Every answer that is not a success, from the routes, Fastify or Node's HTTP parser, in the error shape of section 4.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskSecrets } from '../../core/redact.ts';
import { SERVER_DEFAULTS } from '../constants.ts';
import { ApiError, StoreError } from '../errors.ts';

const BODY_LIMIT_KIB = SERVER_DEFAULTS.bodyLimit / 1024;
const LEGACY_SHAPED = /^[A-Za-z0-9]{10}$/;

const FASTIFY_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'request.malformed_json', 'the request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'request.malformed_json', 'the request body is empty; send a JSON object'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'request.too_large', `the request body is over ${BODY_LIMIT_KIB} KiB`],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'request.unsupported_media_type', 'send the body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'request.invalid', 'the Content-Length does not match the body'],
  FST_ERR_BAD_URL: [400, 'request.bad_url', 'the URL is not valid (bad percent-encoding)'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'request.uri_too_long', 'a path parameter is too long'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'request.invalid', 'the request cannot be routed'],
};

/** What the client is told about a store that could not do the work: the cause, and when to come back. */
export function storeAnswer(error: StoreError): ApiError {
  const what = error.code === 'store.unavailable' ? 'cannot be reached' : error.transient ? 'is busy' : 'cannot store anything now';
  return new ApiError(503, error.code, `the license server's database ${what}: ${error.message}; nothing was stored, try again later`,
    { cause: error, headers: { 'retry-after': String(error.retryAfterS) } });
}

interface ValidationIssue {
  instancePath: string;
  keyword?: string;
  message?: string;
  params: { additionalProperty?: string; missingProperty?: string };
}

/** A field name as a client sent it, bounded (masking happens in send()). */
export const shownField = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name);

/** `body` + `/license/0` + `seat` → `body.license[0].seat`: the field a client has to fix. */
function fieldOf(context: string, issue: ValidationIssue, child?: string): string {
  const path = issue.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
  return `${context}${path}${child ? `.${shownField(child)}` : ''}`;
}

/** The alternatives of a field that accepts several types (a union reports each branch): "must be integer or null". */
function alternatives(issues: ValidationIssue[], first: ValidationIssue): string {
  const types = issues.filter((i) => i.instancePath === first.instancePath && i.keyword === 'type').map((i) => i.message ?? '');
  if (types.length < 2 || !types.every((m) => m.startsWith('must be '))) return first.message ?? 'is not valid';
  return `must be ${types.map((m) => m.slice('must be '.length)).join(' or ')}`;
}

/** A schema failure as one line that names the field: an unknown field is refused, never silently dropped. */
function validationMessage(context: string, issues: ValidationIssue[], fallback: string): string {
  const issue = issues[0];
  if (!issue) return `invalid request: ${fallback}`;
  const { additionalProperty, missingProperty } = issue.params;
  if (additionalProperty !== undefined) return `invalid request: ${fieldOf(context, issue, additionalProperty)} is not a known field; remove it or correct its name`;
  if (missingProperty !== undefined) return `invalid request: ${fieldOf(context, issue, missingProperty)} is required`;
  return `invalid request: ${fieldOf(context, issue)} ${alternatives(issues, issue)}`;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) return storeAnswer(error);
  const raw = error as { code?: string; validation?: ValidationIssue[]; validationContext?: string; message?: string; statusCode?: number; status?: number };
  // Fastify's errors carry statusCode, http-errors (body parsers, plugins) carry status: read either.
  const e = { ...raw, validation: raw.validation, statusCode: raw.statusCode ?? (typeof raw.status === 'number' ? raw.status : undefined) };
  if (e.validation) return new ApiError(400, 'request.invalid', validationMessage(e.validationContext ?? 'body', e.validation, e.message ?? ''), { cause: error });
  if (e.statusCode === 400 && error instanceof SyntaxError) {
    return new ApiError(400, 'request.malformed_json', 'the request body is not valid JSON', { cause: error });
  }
  const known = e.code ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return new ApiError(known[0], known[1], known[2], { cause: error });
  if (e.statusCode === 503) return new ApiError(503, 'server.closing', 'the license server is shutting down; try again', { cause: error, headers: { 'retry-after': '1' } });
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, 'request.invalid', STATUS_CODES[e.statusCode] ?? 'bad request', { cause: error });
  return new ApiError(500, 'server.internal', 'internal server error', { cause: error });
}

/** Messages echo request input (paths, ids, field names): credential-shaped words are masked on the way out. */
export function send(reply: FastifyReply, error: ApiError, known: readonly string[] = []) {
  return reply.code(error.status).headers(error.headers).send({ error: { code: error.code, message: maskSecrets(error.message, known) } });
}

/** Path parameters shaped like a legacy API key (10 letters and digits): masked wherever a message echoes them. */
function legacyShapedParams(request: FastifyRequest): string[] {
  return Object.values((request.params ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && LEGACY_SHAPED.test(v));
}

/** The route-level error handler: one log line for what the operator must look at, the error shape for the client. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const apiError = toApiError(error);
  if (apiError.status >= 500) {
    const cause = error instanceof StoreError ? `${error.code}: ${error.message}` : ((error as Error).stack ?? String(error));
    console.error(maskSecrets(`${request.method} ${request.url.split('?')[0]} → ${apiError.status}: ${cause}`, legacyShapedParams(request)));
  }
  return send(reply, apiError, legacyShapedParams(request));
}

/** Fastify's routing errors (a URL that cannot be decoded) before any route runs. */
export function frameworkErrors(error: Error, _request: FastifyRequest, reply: FastifyReply) {
  return send(reply, toApiError(error));
}

const PARSER_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request.headers_too_large', 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request.timeout', 'the request took too long to arrive'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'request.timeout', 'the request headers took too long to arrive'],
};

/**
 * Node's HTTP parser rejects a request before Fastify sees it (bad request line, duplicate Content-Length,
 * bad chunk, oversized headers): answer in the error shape on the raw socket, then close it.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = PARSER_ERRORS[error.code ?? ''] ?? [400, 'request.malformed', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
