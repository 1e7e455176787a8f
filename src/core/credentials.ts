import { hash, randomInt } from 'node:crypto';
import { CredentialError } from './errors.ts';

export type CredentialKind = 'developer' | 'ci' | 'legacy';

export interface Credential {
  kind: CredentialKind;
  value: string;
}

export const PREFIX: Record<Exclude<CredentialKind, 'legacy'>, string> = { developer: 'ls-', ci: 'lsci-' };

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BODY = /^[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}$/;
const LEGACY = /^[A-Za-z0-9]{10}$/;

/** Trim, strip one pair of matching quotes; empty means unset (compose passes a lone space). */
export function normalizeCredential(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let value = raw.trim();
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    value = value.slice(1, -1).trim();
  }
  return value === '' ? undefined : value;
}

function checksum(prefix: string, random28: string): string {
  return hash('sha256', prefix + random28, 'hex').slice(0, 4);
}

function withDashes(chars32: string): string {
  return `${chars32.slice(0, 8)}-${chars32.slice(8, 12)}-${chars32.slice(12, 16)}-${chars32.slice(16, 20)}-${chars32.slice(20)}`;
}

/** A fresh token of the given kind: 28 random characters, then the 4-character checksum. */
export function generateToken(kind: Exclude<CredentialKind, 'legacy'>): string {
  const prefix = PREFIX[kind];
  let random = '';
  for (let i = 0; i < 28; i++) random += ALNUM[randomInt(ALNUM.length)];
  return prefix + withDashes(random + checksum(prefix, random));
}

export function generateLegacyKey(): string {
  let key = '';
  for (let i = 0; i < 10; i++) key += ALNUM[randomInt(ALNUM.length)];
  return key;
}

/** Classifies a normalised credential; a bad shape or checksum throws `credentials.malformed`. */
export function parseCredential(value: string): Credential {
  for (const kind of ['ci', 'developer'] as const) {
    const prefix = PREFIX[kind];
    if (!value.startsWith(prefix)) continue;
    const body = value.slice(prefix.length);
    if (!BODY.test(body)) {
      throw new CredentialError('credentials.malformed', `the ${kind === 'ci' ? 'CI ' : ''}auth token does not have the form ${prefix}XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`);
    }
    const chars = body.replaceAll('-', '');
    if (checksum(prefix, chars.slice(0, 28)) !== chars.slice(28)) {
      throw new CredentialError('credentials.malformed', 'the auth token has a typo: its checksum does not match');
    }
    return { kind, value };
  }
  if (LEGACY.test(value)) return { kind: 'legacy', value };
  throw new CredentialError('credentials.malformed', 'the value is neither an auth token (ls-… or lsci-…) nor a 10-character legacy API key');
}

/** The displayable form: the prefix and at most 4 further characters, then an ellipsis. */
export function maskCredential(value: string): string {
  const prefix = value.startsWith(PREFIX.ci) ? PREFIX.ci : value.startsWith(PREFIX.developer) ? PREFIX.developer : '';
  const shown = prefix ? 4 : 2;
  return `${prefix}${value.slice(prefix.length, prefix.length + shown)}…`;
}

// One-shot crypto.hash: a third of createHash's cost for inputs this small (three per activation, bench:server).
export function credentialDigest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Stored form on the server. */
export function hashCredential(value: string): string {
  return hash('sha256', value, 'hex');
}

/** The license's `tok` claim: binds a license to the credential that activated it. */
export function credentialBinding(value: string): string {
  return hash('sha256', value, 'base64url');
}
