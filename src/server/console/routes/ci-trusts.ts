import type { FastifyInstance, FastifyReply } from 'fastify';
import { createCiTrust, listCiTrusts, trustView } from '../../accounts/ci-trusts.ts';
import { ApiError } from '../../errors.ts';
import { ciTrustsOf } from '../../storage/ci-trusts.ts';
import { CONSOLE } from '../constants.ts';
import type { Console, SignedIn } from '../context.ts';
import { canManageCiTokens } from '../permissions.ts';
import { ciTrustsSection, pipelineActivationsSection as pipelinesActivations, type PipelineActivationView } from '../views/ci-trusts-section.ts';
import { only, signedIn, type Form, type Handler, type Id } from './guards.ts';
import { removeCiTrust } from '../../accounts/ci-trusts.ts';

export interface TrustForm { name: string; issuer: string; conditions: string }
type TokensPage = (s: SignedIn, reply: FastifyReply, extra?: { error?: string; notice?: string; trustForm?: TrustForm }, status?: number) => Promise<unknown>;

export async function trustsSection(c: Console, s: SignedIn, form?: TrustForm) {
  return ciTrustsSection({ csrf: s.csrf, trusts: await listCiTrusts(c.accounts.store.sql, s.workspace.id), issuers: c.oidcIssuers(), form });
}

/** My License for CI managers: the workspace's recent activations by trusted pipelines. */
export async function pipelinesSection(c: Console, s: SignedIn) {
  const names = new Map((await ciTrustsOf(c.accounts.store.sql, s.workspace.id)).map((t) => [t.id, trustView(t).name]));
  const rows = (await c.accounts.store.activations(s.workspace.id, CONSOLE.recentActivations)).filter((a) => a.pipeline);
  const views: PipelineActivationView[] = rows.slice(0, CONSOLE.myActivations).map((a) => {
    const p = JSON.parse(a.pipeline!) as { repository: string | null; ref: string | null; run: string | null };
    return { at: a.at, trust: names.get(a.subject) ?? 'a deleted trust', repository: p.repository, ref: p.ref, run: p.run };
  });
  return pipelinesActivations(views);
}

/** "claim=value" lines into conditions; a line without "=" is said back. */
function parseConditions(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf('=');
    if (at <= 0) return `"${line.slice(0, 80)}" is not claim=value; write one condition per line, e.g. repository=acme/app.`;
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return Object.keys(out).length ? out : 'Give at least one condition, e.g. repository=acme/app.';
}

/** Adding and deleting trusted CI identities on the Auth Tokens page; the page is drawn by the tokens routes. */
export function ciTrustRoutes(app: FastifyInstance, c: Console, tokensPage: TokensPage): void {
  const page = (handler: Handler) => signedIn(c, handler);
  const ciManager = (handler: Handler) => only((s) => canManageCiTokens(s.member.role), (s) => `your role (${s.member.role}) cannot manage trusted CI identities; ask a workspace admin or owner`, handler);
  const text = { type: 'string', maxLength: 4000 };
  app.post('/workspace/ci-trusts', { schema: { body: { type: 'object', properties: { name: text, issuer: text, conditions: text } } } }, page(ciManager(async (s, request, reply) => {
    const body = request.body as Form;
    const form: TrustForm = { name: (body.name ?? '').trim(), issuer: (body.issuer ?? '').trim(), conditions: body.conditions ?? '' };
    if (!form.name || form.name.length > 100) return tokensPage(s, reply, { error: 'Give the trusted CI identity a name of 1 to 100 characters, e.g. app on main.', trustForm: form }, 400);
    const conditions = parseConditions(form.conditions);
    if (typeof conditions === 'string') return tokensPage(s, reply, { error: conditions, trustForm: form }, 400);
    try {
      const trust = await createCiTrust(c.accounts.store, s.workspace.id, { name: form.name, issuer: form.issuer, conditions }, c.oidcIssuers(), c.clock(), { member: s.member });
      return tokensPage(s, reply, { notice: `Pipelines of ${trust.issuer} matching ${trust.name} now activate as this workspace's CI, with no stored secret.` });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        return tokensPage(s, reply, { error: error.message.replace(/^invalid request: body\./, 'The '), trustForm: form }, error.status);
      }
      throw error;
    }
  })));
  app.post('/workspace/ci-trusts/:id/delete', page(ciManager(async (s, request, reply) => {
    const id = (request.params as Id).id;
    const name = (await ciTrustsOf(c.accounts.store.sql, s.workspace.id)).find((t) => t.id === id)?.name ?? 'The trusted CI identity';
    await removeCiTrust(c.accounts.store, s.workspace.id, id, { member: s.member });
    return tokensPage(s, reply, { notice: `${name} was deleted: pipelines matching only it no longer activate.` });
  })));
}
