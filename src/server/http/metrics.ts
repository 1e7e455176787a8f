// Prometheus metrics of one server process: activations by outcome, request latency, the database pool.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface PoolStats { total: number; idle: number; waiting: number; max: number }

export interface Metrics {
  registry: Registry;
  /** Outcome: `ok` or the error code of section 4 (licensing.rate_limited, store.unavailable, …). */
  activations: Counter<'code'>;
  requestSeconds: Histogram<'method' | 'route' | 'status'>;
}

/** A registry of its own (not the global one): several servers in one test process do not share counters. */
export function createMetrics(pool?: () => PoolStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const activations = new Counter({
    name: 'license_server_activations_total', help: 'Activations answered, by outcome code (ok or the error code)',
    labelNames: ['code'] as const, registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'license_server_http_request_duration_seconds', help: 'Time from request to answer, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  if (pool) {
    new Gauge({
      name: 'license_server_db_pool_connections', help: 'PostgreSQL pool connections: total open, idle, requests waiting for one, and the maximum',
      labelNames: ['state'] as const, registers: [registry],
      collect() {
        const s = pool();
        for (const state of ['total', 'idle', 'waiting', 'max'] as const) this.set({ state }, s[state]);
      },
    });
  }
  return { registry, activations, requestSeconds };
}
