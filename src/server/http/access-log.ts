// One structured line per answered request. It names the route, never a header or a body, and masks anything
// credential-shaped in a path that matched no route (a client can put any text there).
import type { FastifyReply, FastifyRequest } from 'fastify';

const TOKEN = /\b(lsci-|ls-)([A-Za-z0-9]{4})[A-Za-z0-9-]*/g;
// A path segment of exactly 10 letters and digits may be a legacy API key.
const LEGACY_SEGMENT = /(?<=\/)([A-Za-z0-9]{2})[A-Za-z0-9]{8}(?=\/|$)/g;
const MAX_PATH = 200;

/** The path as it may be logged: the route pattern when one matched, else the path masked and cut short. */
export function loggablePath(request: FastifyRequest): string {
  const pattern = request.routeOptions?.url;
  if (pattern) return pattern;
  const path = request.url.split('?')[0].slice(0, MAX_PATH);
  return path.replace(TOKEN, '$1$2…').replace(LEGACY_SEGMENT, '$1…');
}

/** Pino's redaction as a second line of defence, should anything ever log a request's headers. */
export const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'authorization', 'cookie'];

export function logAccess(request: FastifyRequest, reply: FastifyReply, outcome: string | undefined): void {
  request.log.info({
    method: request.method, path: loggablePath(request), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100,
    ip: request.ip, ...(outcome ? { outcome } : {}),
  }, 'request');
}
