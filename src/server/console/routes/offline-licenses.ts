// Users & Licenses, Offline licenses (issue 21): owners and admins issue a file for an installation that never
// reaches the server; it is shown for download once, and the server keeps its id and hash for the list.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EffectiveLicense } from '../../accounts/model.ts';
import { issueOfflineLicense, listOfflineLicenses } from '../../accounts/offline-licenses.ts';
import { ApiError } from '../../errors.ts';
import type { Console, SignedIn } from '../context.ts';
import type { OfflineSectionView } from '../views/offline-licenses.ts';
import type { Form, Handler, signedIn } from './guards.ts';

export interface MembersExtra {
  error?: string;
  notice?: string;
  invitation?: { email: string; link: string };
  /** The file just issued: on this answer only. */
  issued?: { name: string; file: string };
}

/** The section's data: the audit list and the seats its valid entries take. */
export async function offlineView(c: Console, s: SignedIn, license: EffectiveLicense): Promise<OfflineSectionView> {
  const now = c.clock();
  const list = await listOfflineLicenses(c.accounts, s.workspace.id, now);
  return {
    list, taken: list.filter((l) => l.valid).reduce((n, l) => n + l.seats, 0), available: c.keys !== undefined,
    licenseEnd: license.expiresAt, today: now.toISOString().slice(0, 10),
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function offlineLicenseRoutes(app: FastifyInstance, c: Console, page: (h: Handler) => ReturnType<typeof signedIn>, manager: (h: Handler) => Handler,
  membersView: (s: SignedIn, reply: FastifyReply, extra?: MembersExtra, status?: number) => Promise<unknown>): void {
  app.post('/workspace/offline-licenses', page(manager(async (s, request, reply) => {
    const form = request.body as Form;
    const name = (typeof form.name === 'string' ? form.name : '').trim();
    const seats = Number(typeof form.seats === 'string' ? form.seats : NaN);
    const until = typeof form.validUntil === 'string' ? form.validUntil : '';
    if (!name || name.length > 100 || !Number.isSafeInteger(seats) || seats < 1 || !DATE.test(until)) {
      return membersView(s, reply, { error: 'Name the installation (1 to 100 characters), give the seats it stands for (at least 1), and choose the day it is valid until.' }, 400);
    }
    if (!c.keys) return membersView(s, reply, { error: 'This server cannot sign offline licenses here; use the admin API.' }, 503);
    try {
      const { file } = await issueOfflineLicense(c.accounts, c.keys, s.workspace.id, { name, seats, validUntil: `${until}T00:00:00.000Z` },
        { issuedBy: s.member.email, issuer: c.publicUrl(), now: c.clock(), actor: s.member });
      return membersView(s, reply, { issued: { name, file } });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) return membersView(s, reply, { error: `No offline license was issued: ${error.message}.` }, error.status);
      throw error;
    }
  })));
}
