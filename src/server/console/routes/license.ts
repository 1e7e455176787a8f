import type { FastifyInstance } from 'fastify';
import { licenseStatus } from '../../accounts/model.ts';
import { CONSOLE } from '../constants.ts';
import { html, type Console } from '../context.ts';
import { daysLeft } from '../views/format.ts';
import { gettingStartedPage, myLicensePage } from '../views/workspace-pages.ts';
import { signedIn } from './guards.ts';
import { canManageCiTokens } from '../permissions.ts';
import { pipelinesSection } from './ci-trusts.ts';

/** Getting Started and My License: what this member has and how to use it. */
export function licenseRoutes(app: FastifyInstance, c: Console): void {
  const page = (handler: Parameters<typeof signedIn>[1]) => signedIn(c, handler);

  app.get('/getting-started', page(async (s, request, reply) => {
    const lic = await c.accounts.effectiveLicense(s.workspace);
    return html(reply, gettingStartedPage({
      csrf: s.csrf, viewer: s.viewer, token: await c.token(s), server: c.serverView(request),
      trialDaysLeft: lic.type === 'trial' ? daysLeft(lic.expiresAt, c.clock()) : null,
    }));
  }));

  app.get('/workspace/my-license', page(async (s, _q, reply) => {
    const now = c.clock();
    const lic = await c.accounts.effectiveLicense(s.workspace);
    const mine = (await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations)).filter((a) => a.subject === s.member.id).slice(0, CONSOLE.myActivations);
    return html(reply, myLicensePage({
      csrf: s.csrf, viewer: s.viewer, now,
      license: { plan: lic.plan, type: lic.type, status: licenseStatus(lic, now), startsAt: lic.startsAt, expiresAt: lic.expiresAt, seat: lic.implicit ? 'trial' : s.member.licensed ? 'held' : 'none' },
      activations: mine.map((a) => ({ at: a.at, ci: a.ci === 1, version: a.version })),
      pipelines: canManageCiTokens(s.member.role) ? await pipelinesSection(c, s) : undefined,
    }));
  }));
}
