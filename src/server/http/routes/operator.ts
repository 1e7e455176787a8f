import type { FastifyInstance, FastifyRequest } from 'fastify';
import { logAccess } from '../access-log.ts';
import { toApiError } from '../http-errors.ts';
import type { Metrics } from '../metrics.ts';

export interface OperatorOptions {
  metrics: Metrics;
  /** Resolves when the store answers a read; rejects (a StoreError) when it cannot. */
  ping: () => Promise<unknown>;
  accessLog: boolean;
}

const ACTIVATE = '/v1/license/activate';

/**
 * GET /ready and GET /metrics, and the hooks that feed them and the access log. Added to the root instance
 * (not as an encapsulated plugin) so that the hooks see every route.
 */
export function addOperatorRoutes(app: FastifyInstance, options: OperatorOptions): void {
  const { metrics } = options;
  const outcomes = new WeakMap<FastifyRequest, string>();
  app.addHook('onError', async (request, _reply, error) => {
    outcomes.set(request, toApiError(error).code);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const outcome = reply.statusCode < 400 ? 'ok' : (outcomes.get(request) ?? String(reply.statusCode));
    metrics.requestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (route === ACTIVATE && request.method === 'POST') metrics.activations.inc({ code: outcome });
    if (options.accessLog) logAccess(request, reply, reply.statusCode < 400 ? undefined : outcome);
  });
  // Ready: the store answers. A load balancer stops sending here while it is not (503, Retry-After), or while closing.
  app.get('/ready', async () => {
    await options.ping();
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
