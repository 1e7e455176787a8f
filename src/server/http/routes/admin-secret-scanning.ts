import type { FastifyPluginAsync } from 'fastify';
import { SECRET_SCANNING } from '../../constants.ts';
import { recentAlerts } from '../../storage/leaks.ts';
import { requireAdminToken } from './admin-auth.ts';
import type { RouteContext } from './context.ts';

/** GET /admin/v1/secret-scanning/alerts: the audit of every alert received, newest first (tokens masked only). */
export const adminSecretScanningRoutes: FastifyPluginAsync<RouteContext> = async (app, ctx) => {
  app.addHook('onRequest', async (request) => requireAdminToken(request, ctx.adminToken));
  app.get('/secret-scanning/alerts', async () => ({
    alerts: (await recentAlerts(ctx.accounts.store.sql, SECRET_SCANNING.alertsListed)).map((a) => ({
      id: a.id, receivedAt: a.received_at, keyId: a.key_id, tokens: Number(a.tokens), truePositives: Number(a.true_positives),
      falsePositives: Number(a.false_positives), labels: JSON.parse(a.labels) as { token: string; type: string; label: string }[],
    })),
  }));
};
