// Issuing offline licenses (issue 21): the decision is pure; the seat check and the audit row share one transaction.
import { createHash, randomUUID } from 'node:crypto';
import { AUDIENCE, OFFLINE_LICENSE_USE, PRO_FEATURES } from '../../core/constants.ts';
import { offlineLicenseFileText, type OfflineLicenseClaims } from '../../core/offline-license.ts';
import { MAX_SEATS, PLAN_FEATURES } from '../constants.ts';
import { ApiError } from '../errors.ts';
import type { LicenseSigner } from '../signing/keys.ts';
import { insertOfflineLicense, offlineLicenses, offlineSeatsTaken, type OfflineLicenseRow } from '../storage/offline-licenses.ts';
import type { Sql } from '../storage/sql.ts';
import type { MemberRow, WorkspaceRow } from '../storage/store.ts';
import { isComparableInstant } from './instant.ts';
import { licenseStatus, memberManagerRule, type Accounts, type EffectiveLicense } from './model.ts';

export interface OfflineLicenseInput {
  /** The installation's name, as the issuer calls it. */
  name: string;
  seats: number;
  validUntil: string;
}

export interface IssuedOfflineLicense {
  row: OfflineLicenseRow;
  /** The file's text: shown once, never stored. */
  file: string;
}

/** The claims of an offline license, or the ApiError that says why none can be issued. */
export function decideOfflineLicense(input: { workspace: WorkspaceRow; license: EffectiveLicense; request: OfflineLicenseInput; id: string; issuer: string; now: Date }): OfflineLicenseClaims {
  const { workspace, license, request, now } = input;
  const name = request.name.trim();
  if (!name) throw new ApiError(400, 'request.invalid', 'invalid request: body.name is empty; name the installation (e.g. "build-farm-eu")');
  if (!(Number.isSafeInteger(request.seats) && request.seats >= 1 && request.seats <= MAX_SEATS)) {
    throw new ApiError(400, 'request.invalid', `invalid request: body.seats must be a whole number from 1 to ${MAX_SEATS}`);
  }
  if (!isComparableInstant(request.validUntil)) throw new ApiError(400, 'request.invalid', `invalid request: body.validUntil (${request.validUntil}) is not a time this server can compare`);
  const status = licenseStatus(license, now);
  if (status !== 'ACTIVE') {
    throw new ApiError(409, 'offline_license.no_license', `the license of workspace ${workspace.name} is not active (${status.toLowerCase()}); no offline license can be issued`);
  }
  const until = Date.parse(request.validUntil);
  if (until <= now.getTime()) throw new ApiError(400, 'request.invalid', `invalid request: body.validUntil (${request.validUntil}) is not in the future`);
  if (until > Date.parse(license.expiresAt)) {
    throw new ApiError(400, 'offline_license.past_license_end', `body.validUntil (${request.validUntil}) is after the end of the workspace's license (${license.expiresAt}); choose that time or earlier`);
  }
  const nbf = Math.floor(now.getTime() / 1000);
  return {
    iss: input.issuer, aud: AUDIENCE, sub: workspace.id, jti: input.id, iat: nbf, nbf, exp: Math.floor(until / 1000),
    use: OFFLINE_LICENSE_USE, ws: { id: workspace.id, name: workspace.name },
    lic: { id: license.id, type: license.type, plan: license.plan },
    features: [...(license.type === 'trial' ? PRO_FEATURES : (PLAN_FEATURES[license.plan] ?? PRO_FEATURES))],
    installation: name, seats: request.seats,
  };
}

/** Seats of the workspace's license that are neither assigned to members nor taken by valid offline licenses; null when unlimited. */
export async function freeSeats(sql: Sql, seats: number | null, licensed: number, workspaceId: string, now: Date): Promise<number | null> {
  return seats == null ? null : seats - licensed - (await offlineSeatsTaken(sql, workspaceId, now));
}

/**
 * Signs first (a refused request throws the signature away), then in one transaction checks the seats and writes
 * the audit row: two issuers at once cannot both take the last seat.
 */
export async function issueOfflineLicense(accounts: Accounts, keys: LicenseSigner, workspaceId: string, request: OfflineLicenseInput, context: { issuedBy: string; issuer: string; now: Date; actor?: MemberRow }): Promise<IssuedOfflineLicense> {
  const { now } = context;
  const workspace = await accounts.requireWorkspace(workspaceId);
  const claims = decideOfflineLicense({ workspace, license: await accounts.effectiveLicense(workspace), request, id: `off-${randomUUID()}`, issuer: context.issuer, now });
  const { jws, kid } = await keys.signOffline(claims);
  const row: OfflineLicenseRow = {
    id: claims.jti, workspace_id: workspace.id, name: claims.installation, seats: claims.seats, kid, sha256: createHash('sha256').update(jws).digest('hex'),
    issued_by: context.issuedBy, issued_at: now.toISOString(), not_before: new Date(claims.nbf * 1000).toISOString(), expires_at: new Date(claims.exp * 1000).toISOString(),
  };
  await accounts.write(async (ops) => {
    const { tx } = ops;
    // A member issuing from the console: its role decided again here, against the row as stored now.
    if (context.actor) await ops.actingMember(context.actor, memberManagerRule);
    const free = await freeSeats(tx.sql, (await tx.license(workspace.id))?.seats ?? null, await tx.licensedCount(workspace.id), workspace.id, now);
    if (free !== null && claims.seats > free) {
      throw new ApiError(409, 'license.no_seats', `the installation needs ${claims.seats} seat${claims.seats === 1 ? '' : 's'} but ${Math.max(free, 0)} of the workspace's seats ${free === 1 ? 'is' : 'are'} free; free some or buy more`);
    }
    await insertOfflineLicense(tx.sql, row);
  });
  return { row, file: offlineLicenseFileText(jws, claims) };
}

/** The audit list's entry: what was issued, by whom, until when; never the file. */
export function describeOfflineLicense(row: OfflineLicenseRow, now: Date) {
  return {
    id: row.id, name: row.name, seats: row.seats, kid: row.kid, sha256: row.sha256, issuedBy: row.issued_by,
    issuedAt: row.issued_at, notBefore: row.not_before, validUntil: row.expires_at, valid: Date.parse(row.expires_at) > now.getTime(),
  };
}

export async function listOfflineLicenses(accounts: Accounts, workspaceId: string, now: Date) {
  await accounts.requireWorkspace(workspaceId);
  return (await offlineLicenses(accounts.store.sql, workspaceId)).map((r) => describeOfflineLicense(r, now));
}
