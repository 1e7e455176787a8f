import { randomUUID } from 'node:crypto';
import { generateLegacyKey, generateToken, hashCredential, maskCredential, type Credential } from '../core/credentials.ts';
import { TRIAL_DAYS } from '../core/constants.ts';
import { ApiError } from './errors.ts';
import type { CiTokenRow, LicenseRow, MemberRow, Role, Store, WorkspaceRow } from './store.ts';

export interface LegacyPolicy {
  downtimes: { start: string; end: string }[];
  sunsetAt: string | null;
}

/** Who a credential belongs to. */
export type Principal =
  | { kind: 'developer' | 'legacy'; id: string; workspace: WorkspaceRow; member: MemberRow }
  | { kind: 'ci'; id: string; workspace: WorkspaceRow; ciToken: CiTokenRow };

export interface EffectiveLicense {
  id: string;
  type: 'trial' | 'subscription';
  plan: string;
  seats: number | null;
  startsAt: string;
  expiresAt: string;
  /** A workspace with no license row gets the implicit trial, which covers every member. */
  implicit: boolean;
}

const DAY_MS = 86_400_000;
const POLICY_KEY = 'legacy_policy';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];
export const CI_MANAGERS: readonly Role[] = ['owner', 'admin'];

const notFound = (what: string) => new ApiError(404, 'resource.not_found', `${what} does not exist`);

/** Account operations shared by the admin API, the self-service API and the seed import. */
export class Accounts {
  readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  resolve(credential: Credential): Principal | undefined {
    const hash = hashCredential(credential.value);
    if (credential.kind === 'ci') {
      const ciToken = this.store.ciTokenByHash(hash);
      const workspace = ciToken && this.store.workspace(ciToken.workspace_id);
      return ciToken && workspace ? { kind: 'ci', id: ciToken.id, workspace, ciToken } : undefined;
    }
    const member = credential.kind === 'developer' ? this.store.memberByTokenHash(hash) : this.store.memberByLegacyHash(hash);
    const workspace = member && this.store.workspace(member.workspace_id);
    return member && workspace ? { kind: credential.kind, id: member.id, workspace, member } : undefined;
  }

  requireWorkspace(id: string): WorkspaceRow {
    const ws = this.store.workspace(id);
    if (!ws) throw notFound(`workspace ${id}`);
    return ws;
  }

  requireMember(id: string): MemberRow {
    const m = this.store.member(id);
    if (!m) throw notFound(`member ${id}`);
    return m;
  }

  createWorkspace(input: { id?: string; name: string }, now: Date): WorkspaceRow {
    const id = input.id ?? `ws-${randomUUID().slice(0, 8)}`;
    if (this.store.workspace(id)) throw new ApiError(409, 'resource.conflict', `workspace ${id} exists already`);
    this.store.upsertWorkspace(id, input.name, now.toISOString());
    return this.store.workspace(id)!;
  }

  /** Adds a member with a fresh developer token (or the given one); returns the plain token once. */
  addMember(workspaceId: string, input: { email: string; role: Role; licensed?: boolean; authToken?: string }): { member: MemberRow; authToken: string } {
    this.requireWorkspace(workspaceId);
    if (this.store.memberByEmail(workspaceId, input.email)) {
      throw new ApiError(409, 'resource.conflict', `${input.email} is a member of ${workspaceId} already`);
    }
    if (input.licensed) this.checkSeatFree(workspaceId);
    const authToken = input.authToken ?? generateToken('developer');
    const member: MemberRow = {
      id: `mem-${randomUUID()}`, workspace_id: workspaceId, email: input.email, role: input.role,
      licensed: input.licensed ? 1 : 0, token_hash: hashCredential(authToken), token_mask: maskCredential(authToken), legacy_key_hash: null,
    };
    this.store.insertMember(member);
    return { member, authToken };
  }

  /** The old value stops working at once: only the new hash is kept. */
  rotateMemberToken(memberId: string, authToken = generateToken('developer')): string {
    this.requireMember(memberId);
    this.store.updateMember(memberId, { token_hash: hashCredential(authToken), token_mask: maskCredential(authToken) });
    return authToken;
  }

  setLegacyKey(memberId: string, key: string | null = generateLegacyKey()): string | null {
    this.requireMember(memberId);
    this.store.updateMember(memberId, { legacy_key_hash: key === null ? null : hashCredential(key) });
    return key;
  }

  setRole(memberId: string, role: Role): void {
    this.requireMember(memberId);
    this.store.updateMember(memberId, { role });
  }

  private checkSeatFree(workspaceId: string): void {
    const seats = this.store.license(workspaceId)?.seats;
    if (seats != null && this.store.licensedCount(workspaceId) >= seats) {
      throw new ApiError(409, 'license.no_seats', `every one of the ${seats} seats of ${workspaceId} is assigned; free one or buy more`);
    }
  }

  setSeat(memberId: string, licensed: boolean): MemberRow {
    const member = this.requireMember(memberId);
    if (licensed && !member.licensed) this.checkSeatFree(member.workspace_id);
    this.store.updateMember(memberId, { licensed: licensed ? 1 : 0 });
    return this.store.member(memberId)!;
  }

  createCiToken(workspaceId: string, name: string, now: Date, token = generateToken('ci')): { ciToken: CiTokenRow; token: string } {
    this.requireWorkspace(workspaceId);
    if (this.store.ciTokenByName(workspaceId, name)) throw new ApiError(409, 'resource.conflict', `a CI token named ${name} exists already`);
    const ciToken: CiTokenRow = {
      id: `ci-${randomUUID()}`, workspace_id: workspaceId, name, token_hash: hashCredential(token), token_mask: maskCredential(token), created_at: now.toISOString(),
    };
    this.store.insertCiToken(ciToken);
    return { ciToken, token };
  }

  rotateCiToken(workspaceId: string, id: string, token = generateToken('ci')): string {
    if (!this.store.ciToken(workspaceId, id)) throw notFound(`CI token ${id}`);
    this.store.setCiTokenHash(id, hashCredential(token), maskCredential(token));
    return token;
  }

  deleteCiToken(workspaceId: string, id: string): void {
    if (this.store.deleteCiToken(workspaceId, id) === 0) throw notFound(`CI token ${id}`);
  }

  listCiTokens(workspaceId: string) {
    return this.store.ciTokens(workspaceId).map((t) => ({ id: t.id, name: t.name, token: t.token_mask, createdAt: t.created_at }));
  }

  setLicense(workspaceId: string, input: { type: 'trial' | 'subscription'; plan: string; seats?: number | null; startsAt?: string | null; expiresAt?: string | null }): LicenseRow {
    this.requireWorkspace(workspaceId);
    const existing = this.store.license(workspaceId);
    const row: LicenseRow = {
      workspace_id: workspaceId, id: existing?.id ?? `lic-${randomUUID().slice(0, 8)}`, type: input.type, plan: input.plan,
      seats: input.seats ?? null, starts_at: isoOrNull(input.startsAt), expires_at: isoOrNull(input.expiresAt),
    };
    this.store.upsertLicense(row);
    return row;
  }

  endLicense(workspaceId: string, now: Date): LicenseRow {
    const existing = this.store.license(workspaceId);
    if (!existing) throw notFound(`a license of ${workspaceId}`);
    const row = { ...existing, expires_at: now.toISOString() };
    this.store.upsertLicense(row);
    return row;
  }

  effectiveLicense(workspace: WorkspaceRow): EffectiveLicense {
    return effectiveLicense(workspace, this.store.license(workspace.id));
  }

  legacyPolicy(): LegacyPolicy {
    const raw = this.store.setting(POLICY_KEY);
    return raw ? (JSON.parse(raw) as LegacyPolicy) : { downtimes: [], sunsetAt: null };
  }

  setLegacyPolicy(policy: LegacyPolicy): void {
    this.store.setSetting(POLICY_KEY, JSON.stringify(policy));
  }
}

const isoOrNull = (value: string | null | undefined) => (value ? new Date(value).toISOString() : null);

/** A missing license row means the 14-day trial counted from the workspace's creation. */
export function effectiveLicense(workspace: WorkspaceRow, row: LicenseRow | undefined): EffectiveLicense {
  const startsAt = row?.starts_at ?? workspace.created_at;
  const type = row?.type ?? 'trial';
  const trialEnd = new Date(Date.parse(startsAt) + TRIAL_DAYS * DAY_MS).toISOString();
  const expiresAt = row?.expires_at ?? (type === 'trial' ? trialEnd : '9999-12-31T00:00:00.000Z');
  return {
    id: row?.id ?? `lic-trial-${workspace.id}`, type, plan: row?.plan ?? 'trial', seats: row?.seats ?? null,
    startsAt, expiresAt: type === 'trial' && expiresAt > trialEnd ? trialEnd : expiresAt, implicit: !row,
  };
}
