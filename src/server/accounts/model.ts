import { randomUUID } from 'node:crypto';
import { generateLegacyKey, generateToken, hashCredential, maskCredential, type Credential } from '../../core/credentials.ts';
import { MAX_SEATS, TRIAL_DAYS } from '../constants.ts';
import { ApiError } from '../errors.ts';
import { normalizeEmail } from './email.ts';
import { isComparableInstant } from './instant.ts';
import { offlineSeatsTaken } from '../storage/offline-licenses.ts';
import type { CiTokenRow, CredentialOwner, LicenseRow, MemberRow, Role, Store, StoreReads, StoreTx, WorkspaceRow } from '../storage/store.ts';

export interface LegacyPolicy {
  downtimes: { start: string; end: string }[];
  sunsetAt: string | null;
}

/** Who a credential belongs to. */
export type Principal =
  | { kind: 'developer' | 'legacy'; id: string; workspace: WorkspaceRow; member: MemberRow }
  | { kind: 'ci'; id: string; workspace: WorkspaceRow; ciToken: CiTokenRow }
  /** A pipeline that proved who it is with its CI platform's ID token (id: the trust's). */
  | { kind: 'trust'; id: string; workspace: WorkspaceRow };

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

export type LicenseStatus = 'ACTIVE' | 'PENDING' | 'EXPIRED';

export interface LicenseInput {
  type: 'trial' | 'subscription';
  /** Optional for a trial: it has every Pro feature whatever its plan. */
  plan?: string;
  seats?: number | null;
  startsAt?: string | null;
  expiresAt?: string | null;
}

const DAY_MS = 86_400_000;
const POLICY_KEY = 'legacy_policy';
const TRIAL_PLAN = 'trial';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];
/** Who may create, rotate and delete CI tokens (API and console). */
export const CI_MANAGERS: readonly Role[] = ['owner', 'admin'];
/** Who may invite members, assign seats and change roles (console). */
export const MEMBER_MANAGERS: readonly Role[] = ['owner', 'admin'];
/** The CI-token rule over the actor's row as stored now. */
export const ciManagerRule = (actor: MemberRow): string | undefined =>
  CI_MANAGERS.includes(actor.role) ? undefined : `role ${actor.role} may not manage CI tokens; ask a workspace admin or owner`;
/** The members rule (invitations, seats, roles, offline licenses) over the actor's row as stored now. */
export const memberManagerRule = (actor: MemberRow): string | undefined =>
  MEMBER_MANAGERS.includes(actor.role) ? undefined : `your role (${actor.role}) cannot manage members; ask a workspace admin or owner`;

/** Why the acting member may not do something, or undefined: a rule over the actor's row. */
export type ActorRule = (actor: MemberRow) => string | undefined;

const notFound = (what: string) => new ApiError(404, 'resource.not_found', `${what} does not exist`);


async function requireWorkspace(reads: StoreReads, id: string): Promise<WorkspaceRow> {
  const ws = await reads.workspace(id);
  if (!ws) throw notFound(`workspace ${id}`);
  return ws;
}

async function requireMember(reads: StoreReads, id: string): Promise<MemberRow> {
  const m = await reads.member(id);
  if (!m) throw notFound(`member ${id}`);
  return m;
}

/** The account operations that write, inside one transaction (so the seed import is all or nothing). */
export class AccountOps {
  readonly tx: StoreTx;
  constructor(tx: StoreTx) {
    this.tx = tx;
  }

  async createWorkspace(input: { id?: string; name: string }, now: Date): Promise<WorkspaceRow> {
    const id = input.id ?? `ws-${randomUUID().slice(0, 8)}`;
    if (await this.tx.workspace(id)) throw new ApiError(409, 'resource.conflict', `workspace ${id} exists already`);
    await this.tx.upsertWorkspace(id, input.name, now.toISOString());
    return (await this.tx.workspace(id))!;
  }

  async renameWorkspace(id: string, name: string): Promise<void> {
    const ws = await requireWorkspace(this.tx, id);
    await this.tx.upsertWorkspace(id, name, ws.created_at);
  }

  /** Adds a member with a fresh developer token (or the given one); returns the plain token once. */
  async addMember(workspaceId: string, given: { email: string; role: Role; licensed?: boolean; authToken?: string }): Promise<{ member: MemberRow; authToken: string }> {
    const input = { ...given, email: normalizeEmail(given.email) };
    await requireWorkspace(this.tx, workspaceId);
    if (await this.tx.memberByEmail(workspaceId, input.email)) {
      throw new ApiError(409, 'resource.conflict', `${input.email} is a member of ${workspaceId} already`);
    }
    if (input.licensed) await this.checkSeatFree(workspaceId);
    const authToken = input.authToken ?? generateToken('developer');
    const member: MemberRow = {
      id: `mem-${randomUUID()}`, workspace_id: workspaceId, email: input.email, role: input.role,
      licensed: input.licensed ? 1 : 0, token_hash: hashCredential(authToken), token_mask: maskCredential(authToken), legacy_key_hash: null,
    };
    await this.tx.insertMember(member);
    return { member, authToken };
  }

  /** The old value stops working at once: only the new hash is kept. */
  async rotateMemberToken(memberId: string, authToken = generateToken('developer')): Promise<string> {
    await requireMember(this.tx, memberId);
    await this.tx.updateMember(memberId, { token_hash: hashCredential(authToken), token_mask: maskCredential(authToken) });
    return authToken;
  }

  async setLegacyKey(memberId: string, key: string | null = generateLegacyKey()): Promise<string | null> {
    await requireMember(this.tx, memberId);
    await this.tx.updateMember(memberId, { legacy_key_hash: key === null ? null : hashCredential(key) });
    return key;
  }

  /**
   * The acting member re-read inside this transaction, and the rule decided against that row: two requests that race
   * (two owners demoting each other) cannot both pass on roles read before either wrote. `tokenHash`: the credential it
   * acted with must still be its current one (a rotation that won the race ends its power at once).
   */
  async actingMember(actor: Pick<MemberRow, 'id' | 'workspace_id'>, rule: ActorRule = () => undefined, tokenHash?: string): Promise<MemberRow> {
    const now = await this.tx.member(actor.id);
    if (!now || now.workspace_id !== actor.workspace_id) throw new ApiError(403, 'permission.denied', 'you are no longer a member of this workspace');
    if (tokenHash !== undefined && now.token_hash !== tokenHash) throw new ApiError(401, 'auth.invalid', 'this auth token was rotated meanwhile; use the new value');
    const why = rule(now);
    if (why) throw new ApiError(403, 'permission.denied', why);
    return now;
  }

  async setRole(memberId: string, role: Role): Promise<void> {
    const member = await requireMember(this.tx, memberId);
    // Counted in this transaction: no pair of concurrent demotions can leave a workspace that nobody can manage.
    if (member.role === 'owner' && role !== 'owner') {
      const owners = (await this.tx.sql.get<{ n: number }>("SELECT CAST(count(*) AS INTEGER) AS n FROM members WHERE workspace_id = ? AND role = 'owner'", member.workspace_id))!.n;
      if (owners <= 1) throw new ApiError(409, 'workspace.last_owner', `${member.email} is the last owner of workspace ${member.workspace_id}; make another member an owner first`);
    }
    await this.tx.updateMember(memberId, { role });
  }

  private async checkSeatFree(workspaceId: string, now = new Date()): Promise<void> {
    const seats = (await this.tx.license(workspaceId))?.seats;
    if (seats == null) return;
    // Offline licenses take seats while they are valid (issue 21): counted in this same transaction.
    const offline = await offlineSeatsTaken(this.tx.sql, workspaceId, now);
    if ((await this.tx.licensedCount(workspaceId)) + offline >= seats) {
      throw new ApiError(409, 'license.no_seats', `every one of the ${seats} seats of ${workspaceId} is assigned${offline ? ` (${offline} taken by offline licenses while they are valid)` : ''}; free one or buy more`);
    }
  }

  /** Removes a member with its console sign-in; the last owner stays (a workspace always has someone to manage it). */
  async removeMember(memberId: string): Promise<MemberRow> {
    const member = await requireMember(this.tx, memberId);
    if (member.role === 'owner') await this.setRole(memberId, 'member');
    for (const table of ['console_sessions', 'console_invitations', 'console_logins']) await this.tx.sql.run(`DELETE FROM ${table} WHERE member_id = ?`, memberId);
    await this.tx.sql.run('DELETE FROM members WHERE id = ?', memberId);
    return member;
  }

  async setSeat(memberId: string, licensed: boolean): Promise<MemberRow> {
    const member = await requireMember(this.tx, memberId);
    if (licensed && !member.licensed) await this.checkSeatFree(member.workspace_id);
    await this.tx.updateMember(memberId, { licensed: licensed ? 1 : 0 });
    return (await this.tx.member(memberId))!;
  }

  async createCiToken(workspaceId: string, name: string, now: Date, token = generateToken('ci')): Promise<{ ciToken: CiTokenRow; token: string }> {
    await requireWorkspace(this.tx, workspaceId);
    if (await this.tx.ciTokenByName(workspaceId, name)) throw new ApiError(409, 'resource.conflict', `a CI token named ${name} exists already`);
    const ciToken: CiTokenRow = {
      id: `ci-${randomUUID()}`, workspace_id: workspaceId, name, token_hash: hashCredential(token), token_mask: maskCredential(token), created_at: now.toISOString(),
    };
    await this.tx.insertCiToken(ciToken);
    return { ciToken, token };
  }

  async rotateCiToken(workspaceId: string, id: string, token = generateToken('ci')): Promise<string> {
    if (!(await this.tx.ciToken(workspaceId, id))) throw notFound(`CI token ${id}`);
    await this.tx.setCiTokenHash(id, hashCredential(token), maskCredential(token));
    return token;
  }

  async deleteCiToken(workspaceId: string, id: string): Promise<void> {
    if ((await this.tx.deleteCiToken(workspaceId, id)) === 0) throw notFound(`CI token ${id}`);
  }

  async setLicense(workspaceId: string, input: LicenseInput): Promise<LicenseRow> {
    await requireWorkspace(this.tx, workspaceId);
    checkLicenseInput(input);
    const existing = await this.tx.license(workspaceId);
    const row: LicenseRow = {
      workspace_id: workspaceId, id: existing?.id ?? `lic-${randomUUID().slice(0, 8)}`, type: input.type, plan: input.plan ?? TRIAL_PLAN,
      seats: input.seats ?? null, starts_at: isoOrNull(input.startsAt), expires_at: isoOrNull(input.expiresAt),
    };
    await this.tx.upsertLicense(row);
    return row;
  }

  async endLicense(workspaceId: string, now: Date): Promise<LicenseRow> {
    const existing = await this.tx.license(workspaceId);
    if (!existing) throw notFound(`a license of ${workspaceId}`);
    const row = { ...existing, expires_at: now.toISOString() };
    await this.tx.upsertLicense(row);
    return row;
  }

  async setLegacyPolicy(policy: LegacyPolicy): Promise<void> {
    for (const t of [policy.sunsetAt, ...policy.downtimes.flatMap((d) => [d.start, d.end])]) {
      if (t !== null && !isComparableInstant(t)) throw new ApiError(400, 'request.invalid', `${t} is not a time this server can compare`);
    }
    const reversed = policy.downtimes.findIndex((d) => endsByItsStart(d.start, d.end));
    if (reversed >= 0) {
      throw new ApiError(400, 'request.invalid', `invalid request: body.downtimes[${reversed}] ends (${policy.downtimes[reversed].end}) before it starts (${policy.downtimes[reversed].start}); send a start before the end`);
    }
    await this.tx.setSetting(POLICY_KEY, JSON.stringify(policy));
  }
}

/** A license or downtime that ends at or before its start would never apply: the API and the seed refuse it rather than store it. */
export const endsByItsStart = (start: string, end: string) => Date.parse(end) <= Date.parse(start);

/** The schemas check the same; this keeps a value the store cannot hold or the code cannot compare out of every path. */
function checkLicenseInput(input: LicenseInput): void {
  if (input.type === 'subscription' && !input.plan) throw new ApiError(400, 'request.invalid', 'a subscription needs a plan');
  if (input.seats != null && !(Number.isSafeInteger(input.seats) && input.seats >= 0 && input.seats <= MAX_SEATS)) {
    throw new ApiError(400, 'request.invalid', `seats must be a whole number from 0 to ${MAX_SEATS}`);
  }
  for (const t of [input.startsAt, input.expiresAt]) {
    if (t && !isComparableInstant(t)) throw new ApiError(400, 'request.invalid', `${t} is not a time this server can compare`);
  }
  if (input.startsAt && input.expiresAt && endsByItsStart(input.startsAt, input.expiresAt)) {
    throw new ApiError(400, 'request.invalid', `invalid request: body.expiresAt (${input.expiresAt}) is not after body.startsAt (${input.startsAt}); such a license would never be active`);
  }
}

/** Account reads, and each write operation in its own transaction. */
export class Accounts {
  readonly store: Store;
  /** Per owner the store keeps (frozen, shared until an account changes): its license worked out once, not per activation. */
  private readonly licenses = new WeakMap<CredentialOwner, EffectiveLicense>();
  constructor(store: Store) {
    this.store = store;
  }

  /** Runs several operations in one transaction. */
  write<T>(fn: (ops: AccountOps) => Promise<T>): Promise<T> {
    return this.store.write((tx) => fn(new AccountOps(tx)));
  }

  /** One transaction that first re-reads the acting member and decides the rule against it (see actingMember). */
  as<T>(actor: Pick<MemberRow, 'id' | 'workspace_id'>, rule: ActorRule, fn: (ops: AccountOps, actor: MemberRow) => Promise<T>, tokenHash?: string): Promise<T> {
    return this.write(async (ops) => fn(ops, await ops.actingMember(actor, rule, tokenHash)));
  }

  /** Who a credential belongs to, with the license row of its workspace (one read: the activation's hot path). */
  async identify(credential: Credential, hash = hashCredential(credential.value)): Promise<{ principal: Principal; license: EffectiveLicense } | undefined> {
    const column = credential.kind === 'ci' ? 'ci_token_hash' : credential.kind === 'developer' ? 'token_hash' : 'legacy_key_hash';
    const owner = await this.store.credentialOwner(column, hash);
    if (!owner) return undefined;
    const principal: Principal = owner.kind === 'ci'
      ? { kind: 'ci', id: owner.ciToken.id, workspace: owner.workspace, ciToken: owner.ciToken }
      : { kind: credential.kind === 'legacy' ? 'legacy' : 'developer', id: owner.member.id, workspace: owner.workspace, member: owner.member };
    let license = this.licenses.get(owner);
    if (!license) this.licenses.set(owner, (license = Object.freeze(effectiveLicense(owner.workspace, owner.license))));
    return { principal, license };
  }

  async resolve(credential: Credential): Promise<Principal | undefined> {
    return (await this.identify(credential))?.principal;
  }

  requireWorkspace(id: string): Promise<WorkspaceRow> {
    return requireWorkspace(this.store, id);
  }

  requireMember(id: string): Promise<MemberRow> {
    return requireMember(this.store, id);
  }

  async effectiveLicense(workspace: WorkspaceRow): Promise<EffectiveLicense> {
    return effectiveLicense(workspace, await this.store.license(workspace.id));
  }

  async listCiTokens(workspaceId: string) {
    return (await this.store.ciTokens(workspaceId)).map((t) => ({ id: t.id, name: t.name, token: t.token_mask, createdAt: t.created_at }));
  }

  async legacyPolicy(): Promise<LegacyPolicy> {
    const raw = await this.store.setting(POLICY_KEY);
    return raw ? (JSON.parse(raw) as LegacyPolicy) : { downtimes: [], sunsetAt: null };
  }

  createWorkspace(input: { id?: string; name: string }, now: Date) { return this.write((o) => o.createWorkspace(input, now)); }
  addMember(workspaceId: string, input: { email: string; role: Role; licensed?: boolean }) { return this.write((o) => o.addMember(workspaceId, input)); }
  rotateMemberToken(memberId: string) { return this.write((o) => o.rotateMemberToken(memberId)); }
  setLegacyKey(memberId: string, key?: string | null) { return this.write((o) => o.setLegacyKey(memberId, key)); }
  setRole(memberId: string, role: Role) { return this.write((o) => o.setRole(memberId, role)); }
  setSeat(memberId: string, licensed: boolean) { return this.write((o) => o.setSeat(memberId, licensed)); }
  createCiToken(workspaceId: string, name: string, now: Date) { return this.write((o) => o.createCiToken(workspaceId, name, now)); }
  rotateCiToken(workspaceId: string, id: string) { return this.write((o) => o.rotateCiToken(workspaceId, id)); }
  deleteCiToken(workspaceId: string, id: string) { return this.write((o) => o.deleteCiToken(workspaceId, id)); }
  setLicense(workspaceId: string, input: LicenseInput) { return this.write((o) => o.setLicense(workspaceId, input)); }
  endLicense(workspaceId: string, now: Date) { return this.write((o) => o.endLicense(workspaceId, now)); }
  setLegacyPolicy(policy: LegacyPolicy) { return this.write((o) => o.setLegacyPolicy(policy)); }
}

const isoOrNull = (value: string | null | undefined) => (value ? new Date(value).toISOString() : null);

/** Where a license stands at `now`: not started yet, running, or over (its end is exclusive). */
export function licenseStatus(license: Pick<EffectiveLicense, 'startsAt' | 'expiresAt'>, now: Date): LicenseStatus {
  const t = now.getTime();
  if (t >= Date.parse(license.expiresAt)) return 'EXPIRED';
  return t < Date.parse(license.startsAt) ? 'PENDING' : 'ACTIVE';
}

/** A missing license row means the 14-day trial counted from the workspace's creation. */
export function effectiveLicense(workspace: WorkspaceRow, row: LicenseRow | undefined): EffectiveLicense {
  const startsAt = row?.starts_at ?? workspace.created_at;
  const type = row?.type ?? 'trial';
  const trialEnd = new Date(Date.parse(startsAt) + TRIAL_DAYS * DAY_MS).toISOString();
  const expiresAt = row?.expires_at ?? (type === 'trial' ? trialEnd : '9999-12-31T00:00:00.000Z');
  return {
    id: row?.id ?? `lic-trial-${workspace.id}`, type, plan: row?.plan ?? TRIAL_PLAN, seats: row?.seats ?? null,
    startsAt, expiresAt: type === 'trial' && expiresAt > trialEnd ? trialEnd : expiresAt, implicit: !row,
  };
}
