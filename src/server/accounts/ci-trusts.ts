// Trusted CI identities: which pipelines of which issuer may activate as a workspace's CI, by the claims of their ID token.
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.ts';
import { OIDC } from '../constants.ts';
import { refuse, type VerifiedIdToken } from '../oidc/verifier.ts';
import {
  ciTrustByName, ciTrustCandidates, ciTrustsOf, deleteCiTrust, insertCiTrust, type CiTrustCandidate, type CiTrustRow,
} from '../storage/ci-trusts.ts';
import type { Sql } from '../storage/sql.ts';
import type { Store } from '../storage/store.ts';
import { AccountOps, ciManagerRule, effectiveLicense, type EffectiveLicense } from './model.ts';
import type { MemberRow, WorkspaceRow } from '../storage/store.ts';

/** A member acting (console, API): its role, and the token it acted with, decided again inside the transaction. */
export interface TrustActor { member: Pick<MemberRow, 'id' | 'workspace_id'>; tokenHash?: string }

/**
 * Claims that pin a repository or its owner (GitHub, GitLab; `sub` names the repository on both). A trust needs one:
 * an issuer-wide trust would admit every repository on GitHub.
 */
export const PIN_CLAIMS = [
  'repository_id', 'repository', 'repository_owner_id', 'repository_owner', 'job_workflow_ref', 'workflow_ref',
  'project_id', 'project_path', 'namespace_id', 'namespace_path', 'sub',
] as const;
/** Claims that a condition may not name: the verifier checks them itself. */
const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']);
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$/;
const MAX_CONDITIONS = 16;

export interface CiTrustInput { name: string; issuer: string; conditions: Record<string, string> }
export interface CiTrustView { id: string; name: string; issuer: string; conditions: Record<string, string>; createdAt: string }

export const trustView = (t: CiTrustRow): CiTrustView => ({
  id: t.id, name: t.name, issuer: t.issuer, conditions: JSON.parse(t.conditions) as Record<string, string>, createdAt: t.created_at,
});

const invalid = (message: string) => new ApiError(400, 'request.invalid', message);

/** The pin of a trust's conditions ("claim=value"), or a 400 that says why one is needed. */
export function checkTrust(input: CiTrustInput, trustedIssuers: readonly string[]): string {
  if (!trustedIssuers.includes(input.issuer)) {
    throw invalid(`invalid request: body.issuer ${JSON.stringify(input.issuer)} is not an issuer this server trusts; use one of ${trustedIssuers.join(', ')} (the operator adds others with --oidc-issuer)`);
  }
  const entries = Object.entries(input.conditions);
  if (entries.length === 0 || entries.length > MAX_CONDITIONS) throw invalid(`invalid request: body.conditions needs 1 to ${MAX_CONDITIONS} claims`);
  for (const [claim, value] of entries) {
    if (!CLAIM_NAME.test(claim)) throw invalid(`invalid request: body.conditions.${claim.slice(0, 64)} is not a claim name`);
    if (RESERVED.has(claim)) throw invalid(`invalid request: body.conditions.${claim} is checked by the server itself; leave it out`);
    if (typeof value !== 'string' || value.length === 0 || value.length > 512) throw invalid(`invalid request: body.conditions.${claim} must be a text of 1 to 512 characters`);
  }
  const pin = PIN_CLAIMS.find((c) => Object.hasOwn(input.conditions, c));
  if (!pin) {
    throw invalid(`invalid request: body.conditions must pin the repository or its owner with one of ${PIN_CLAIMS.join(', ')}: a trust of the issuer alone would admit every repository on ${input.issuer.includes('github') ? 'GitHub' : 'that CI platform'}`);
  }
  return `${pin}=${input.conditions[pin]}`;
}

export async function createCiTrust(store: Store, workspaceId: string, input: CiTrustInput, trustedIssuers: readonly string[], now: Date, actor?: TrustActor): Promise<CiTrustView> {
  const pin = checkTrust(input, trustedIssuers);
  return store.write(async (tx) => {
    if (actor) await new AccountOps(tx).actingMember(actor.member, ciManagerRule, actor.tokenHash);
    if (!(await tx.workspace(workspaceId))) throw new ApiError(404, 'resource.not_found', `workspace ${workspaceId} does not exist`);
    if (await ciTrustByName(tx.sql, workspaceId, input.name)) throw new ApiError(409, 'resource.conflict', `a trusted CI identity named ${input.name} exists already`);
    const row: CiTrustRow = {
      id: `trust-${randomUUID()}`, workspace_id: workspaceId, name: input.name, issuer: input.issuer,
      conditions: JSON.stringify(input.conditions), pin, created_at: now.toISOString(),
    };
    await insertCiTrust(tx.sql, row);
    return trustView(row);
  });
}

export async function listCiTrusts(sql: Sql, workspaceId: string): Promise<CiTrustView[]> {
  return (await ciTrustsOf(sql, workspaceId)).map(trustView);
}

export async function removeCiTrust(store: Store, workspaceId: string, id: string, actor?: TrustActor): Promise<void> {
  const n = await store.write(async (tx) => {
    if (actor) await new AccountOps(tx).actingMember(actor.member, ciManagerRule, actor.tokenHash);
    return deleteCiTrust(tx.sql, workspaceId, id);
  });
  if (n === 0) throw new ApiError(404, 'resource.not_found', `trusted CI identity ${id} does not exist`);
}

/** A claim as a condition compares it: text as is, numbers and booleans as their text, anything else never equal. */
const claimText = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined);

/** The pins an ID token can match: each pin claim it carries, as "claim=value". */
export const tokenPins = (claims: Record<string, unknown>) =>
  PIN_CLAIMS.flatMap((c) => (claimText(claims[c]) === undefined ? [] : [`${c}=${claimText(claims[c])}`]));

const matches = (trust: CiTrustRow, claims: Record<string, unknown>) =>
  Object.entries(JSON.parse(trust.conditions) as Record<string, string>).every(([claim, value]) => claimText(claims[claim]) === value);

/** The pipeline's identity, for the activation record and for a refusal: what a person recognises. */
export function pipelineOf(claims: Record<string, unknown>): { repository: string | null; ref: string | null; environment: string | null; run: string | null } {
  const text = (k: string) => claimText(claims[k])?.slice(0, 200) ?? null;
  const run = text('run_id') ?? text('pipeline_id');
  return {
    repository: text('repository') ?? text('project_path'), ref: text('ref'), environment: text('environment'),
    run: run && text('run_attempt') ? `${run}/${text('run_attempt')}` : run ?? text('job_id'),
  };
}

export interface TrustMatch { trust: CiTrustRow; workspace: WorkspaceRow; license: EffectiveLicense }

/** The oldest trust whose conditions all equal the token's claims, with its workspace and license; or the refusal naming what was compared. */
export async function matchTrust(sql: Sql, token: VerifiedIdToken): Promise<TrustMatch> {
  const candidates = await ciTrustCandidates(sql, token.issuer, tokenPins(token.claims));
  const found = candidates.find((t) => matches(t, token.claims));
  if (!found) {
    const p = pipelineOf(token.claims);
    const compared = `repository ${p.repository ?? '(none)'}, ref ${p.ref ?? '(none)'}, environment ${p.environment ?? '(none)'}`;
    throw refuse('no_trust', `No trusted CI identity of ${token.issuer} matches this pipeline (${compared})`,
      'Add one for this repository and ref on the Auth Tokens page (or POST /v1/ci-trusts), or run from a repository, branch or environment that a trust names');
  }
  return { trust: found, workspace: { id: found.workspace_id, name: found.ws_name, created_at: found.ws_created_at }, license: effectiveLicense(
    { id: found.workspace_id, name: found.ws_name, created_at: found.ws_created_at }, licenseRowOf(found)) };
}

function licenseRowOf(c: CiTrustCandidate) {
  return c.l_id === null ? undefined : {
    workspace_id: c.workspace_id, id: c.l_id, type: c.l_type!, plan: c.l_plan!, seats: c.l_seats, starts_at: c.l_starts_at, expires_at: c.l_expires_at,
  };
}

/** The key a token is remembered by for replay: its issuer and jti. */
export const tokenKey = (issuer: string, jti: string) => `${issuer}#${jti}`.slice(0, 600);
