// One alert of GitHub's secret scanning partner programme: each token judged, live ones revoked, all in one transaction.
import { randomUUID } from 'node:crypto';
import { hashCredential, maskCredential, parseCredential, type Credential } from '../../core/credentials.ts';
import { outsideText } from '../../core/redact.ts';
import { AccountOps } from '../accounts/model.ts';
import { SECRET_SCANNING } from '../constants.ts';
import { ApiError } from '../errors.ts';
import { insertAlert, insertLeakedCredential, leakedCredential, type LeakAction, type LeakedCredentialRow } from '../storage/leaks.ts';
import type { Store, StoreTx } from '../storage/store.ts';

/** GitHub's fields of one match. */
export interface Match { token: string; type: string; url: string; source: string }
export type Label = 'true_positive' | 'false_positive';
/** GitHub's feedback entry for one match. */
export interface Feedback { token_raw: string; token_type: string; label: Label }

const FIELD_CHARS: Record<keyof Match, number> = { token: 512, type: 100, url: 2048, source: 100 };

/** The alert body's shape, checked after its signature: an array of matches with bounded string fields. */
export function readMatches(body: unknown): Match[] {
  if (!Array.isArray(body)) throw new ApiError(400, 'request.invalid', 'invalid request: the body must be a JSON array of {"token", "type", "url", "source"}');
  if (body.length > SECRET_SCANNING.tokensPerAlert) {
    throw new ApiError(413, 'secret_scanning.too_many_tokens', `an alert holds at most ${SECRET_SCANNING.tokensPerAlert} tokens; send them in several alerts`);
  }
  return body.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ApiError(400, 'request.invalid', `invalid request: body[${i}] must be an object`);
    const match = entry as Record<string, unknown>;
    for (const [field, max] of Object.entries(FIELD_CHARS)) {
      const value = match[field] ?? (field === 'token' ? undefined : '');
      if (typeof value !== 'string' || value.length > max) {
        throw new ApiError(400, 'request.invalid', `invalid request: body[${i}].${field} must be a string of at most ${max} characters`);
      }
    }
    return { token: match.token as string, type: (match.type as string | undefined) ?? '', url: (match.url as string | undefined) ?? '', source: (match.source as string | undefined) ?? '' };
  });
}

/** Where it was found, as stored and shown: host and path of an http(s) URL only (no query, fragment or user), masked and bounded. */
export function whereFound(url: string, token: string): string {
  let place = 'an unnamed place';
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') place = `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    // Not a URL: the owner is told it was found, not where.
  }
  return outsideText(place, [token], SECRET_SCANNING.whereChars);
}

const OWNER_COLUMN = { developer: 'token_hash', legacy: 'legacy_key_hash', ci: 'ci_token_hash' } as const;

/** Revokes one live credential; undefined when it is unknown or no longer current (already rotated, deleted). */
async function revoke(tx: StoreTx, credential: Credential, hash: string): Promise<Pick<LeakedCredentialRow, 'workspace_id' | 'subject_id' | 'subject_name' | 'action'> | undefined> {
  const owner = await tx.credentialOwner(OWNER_COLUMN[credential.kind], hash);
  if (!owner) return undefined;
  const ops = new AccountOps(tx);
  let action: LeakAction;
  if (owner.kind === 'ci') {
    await ops.deleteCiToken(owner.workspace.id, owner.ciToken.id);
    return { workspace_id: owner.workspace.id, subject_id: owner.ciToken.id, subject_name: owner.ciToken.name, action: 'deleted' };
  }
  if (credential.kind === 'legacy') {
    await ops.setLegacyKey(owner.member.id, null);
    action = 'revoked';
  } else {
    // A fresh value nobody has seen: the member gets a usable one by rotating on the Auth Tokens page.
    await ops.rotateMemberToken(owner.member.id);
    action = 'rotated';
  }
  return { workspace_id: owner.workspace.id, subject_id: owner.member.id, subject_name: owner.member.email, action };
}

/** Judges one match inside the alert's transaction; a token already revoked as leaked stays a true positive (idempotent). */
async function judge(tx: StoreTx, match: Match, alert: { id: string; at: string }): Promise<Label> {
  let credential: Credential;
  try {
    credential = parseCredential(match.token);
  } catch {
    // Wrong shape or checksum: not one of ours, and no database read to tell.
    return 'false_positive';
  }
  const hash = hashCredential(credential.value);
  if (await leakedCredential(tx.sql, hash)) return 'true_positive';
  const revoked = await revoke(tx, credential, hash);
  if (!revoked) return 'false_positive';
  await insertLeakedCredential(tx.sql, {
    token_hash: hash, kind: credential.kind, token_mask: maskCredential(credential.value), ...revoked, found_at: alert.at,
    found_where: whereFound(match.url, credential.value), source: outsideText(match.source, [credential.value], 40), alert_id: alert.id,
  });
  return 'true_positive';
}

/** Every match judged and the alert audited, in one transaction: a failure leaves nothing half-revoked. */
export async function handleAlert(store: Store, matches: Match[], keyId: string, now: Date): Promise<Feedback[]> {
  const alert = { id: `ssa-${randomUUID()}`, at: now.toISOString() };
  return store.write(async (tx) => {
    const labels: Label[] = [];
    for (const match of matches) labels.push(await judge(tx, match, alert));
    const truePositives = labels.filter((l) => l === 'true_positive').length;
    await insertAlert(tx.sql, {
      id: alert.id, received_at: alert.at, key_id: outsideText(keyId, [], 200), tokens: matches.length, true_positives: truePositives,
      false_positives: matches.length - truePositives,
      labels: JSON.stringify(matches.map((m, i) => ({ token: maskCredential(m.token), type: outsideText(m.type, [m.token], 100), label: labels[i] }))),
    });
    return matches.map((m, i) => ({ token_raw: m.token, token_type: m.type, label: labels[i] }));
  });
}

/** An activation refused because its credential was revoked as leaked: when, where, what was done. */
export async function leakedRefusal(store: Store, hash: string): Promise<ApiError | undefined> {
  const leak = await leakedCredential(store.sql, hash);
  if (!leak) return undefined;
  const what = leak.kind === 'ci' ? `this CI auth token (${leak.token_mask})` : leak.kind === 'legacy' ? 'this legacy API key' : `this auth token (${leak.token_mask})`;
  const done = leak.action === 'deleted' ? 'deleted' : leak.action === 'rotated' ? 'revoked (replaced by a new value)' : 'revoked';
  return new ApiError(401, 'licensing.credentials.leaked', `${what} was found in public at ${leak.found_where} on ${leak.found_at.slice(0, 10)} and has been ${done}`);
}
