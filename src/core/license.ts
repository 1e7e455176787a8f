import { createPublicKey, verify, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import { AUDIENCE, CLOCK_SKEW_S, LICENSE_ALG, LICENSE_TYP, LIMITS, OFFLINE_LICENSE_TYP, OFFLINE_LICENSE_USE, OFFLINE_VALIDITY_S } from './constants.ts';
import { credentialBinding } from './credentials.ts';
import { LicenseError } from './errors.ts';
import { statSync } from 'node:fs';
import { fileErrorCode, readBounded } from './files.ts';
import { outsideText } from './redact.ts';
import { isoTime } from './iso-time.ts';

export interface LicenseInfo {
  id: string;
  type: 'trial' | 'subscription';
  plan: string;
  status: string;
  expiresAt: string;
}

/** The JWT registered claims both kinds of license carry (a 24-hour license and an offline one). */
export interface RegisteredClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface LicenseClaims extends RegisteredClaims {
  tok: string;
  ci: boolean;
  lic: LicenseInfo;
  ws: { id: string; name: string };
  features: string[];
}

export interface Jwks {
  keys: JWK[];
}

export interface VerifiedLicense {
  jws: string;
  kid: string;
  claims: LicenseClaims;
}

export interface VerifyOptions {
  /** The trusted public keys: a JWKS object or the path of a JWKS file. */
  keys: Jwks | string;
  /** The credential in use; when given, the license must be bound to it (`tok`). */
  credential?: string;
  now?: Date | number;
}

type KeyLike = Awaited<ReturnType<typeof importJWK>>;
/** The protected header of a license; only `alg`, `kid` and `typ` mean anything here. */
export type LicenseHeader = Record<string, unknown> & { alg?: unknown; kid?: unknown; typ?: unknown };
const imported = new WeakMap<JWK, KeyObject>();
/** Each trusted-keys file as last read, with the stat that says whether it changed since (a key rotation). */
const jwksFiles = new Map<string, { stamp: string; jwks: Jwks }>();
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Signs claims as the contract's compact JWS (server side). */
export async function signLicense(claims: LicenseClaims, key: { privateKey: KeyLike; kid: string }): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: LICENSE_ALG, kid: key.kid, typ: LICENSE_TYP })
    .sign(key.privateKey);
}

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Why a JWKS entry is not an Ed25519 public key the verifier can use; undefined when it is one. */
function keyProblem(key: unknown): string | undefined {
  if (!isObject(key)) return 'not an object';
  if (!isString(key.kid) || key.kid === '') return 'no "kid"';
  if (key.kty !== 'OKP' || key.crv !== 'Ed25519') return 'not an Ed25519 key (kty OKP, crv Ed25519)';
  if (!isString(key.x) || !B64URL_32.test(key.x)) return 'no valid "x" (32 bytes, base64url)';
  if (key.alg !== undefined && key.alg !== LICENSE_ALG) return `"alg" is not ${LICENSE_ALG}`;
  return undefined;
}

/** What says a file changed: a rotation rewrites (or replaces) the trusted-keys file. */
function stampOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return '';
  }
}

/**
 * Reads a JWKS file (bounded), every entry an Ed25519 public key; a malformed file or key is a
 * `license.keys_unreadable`. Kept per path, and read again once the file changed (a signing-key rotation).
 */
export function loadJwks(path: string): Jwks {
  const stamp = stampOf(path);
  const known = jwksFiles.get(path);
  if (known && stamp !== '' && known.stamp === stamp) return known.jwks;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readBounded(path, LIMITS.jwksBytes));
  } catch (cause) {
    throw new LicenseError('license.keys_unreadable', `cannot read the trusted keys file ${path} (${fileErrorCode(cause)})`, { cause });
  }
  if (!isObject(parsed) || !Array.isArray(parsed.keys)) {
    throw new LicenseError('license.keys_unreadable', `the trusted keys file ${path} is not a JWKS ({"keys": [...]})`);
  }
  const keys: unknown[] = parsed.keys;
  for (const [i, key] of keys.entries()) {
    const problem = keyProblem(key);
    if (problem) throw new LicenseError('license.keys_unreadable', `the trusted keys file ${path} has a malformed key (entry ${i + 1}: ${problem})`);
  }
  const jwks = { keys: keys as JWK[] };
  jwksFiles.set(path, { stamp, jwks });
  return jwks;
}

/**
 * The JWS inside a license file: the cache's JSON (`{"license": …}`) or a bare JWS. Reads at most
 * LIMITS.licenseFileBytes; each failure is a LicenseError with its own code.
 */
export function readLicenseFile(path: string): string {
  let text: string;
  try {
    text = readBounded(path, LIMITS.licenseFileBytes);
  } catch (cause) {
    const code = fileErrorCode(cause);
    if (code === 'file.too_large') throw new LicenseError('license.too_large', `license file ${path} is larger than ${LIMITS.licenseFileBytes} bytes`, { cause });
    throw new LicenseError('license.unreadable', `cannot read license file ${path}: ${code}`, { cause });
  }
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (cause) {
    throw new LicenseError('license.corrupt', `license file ${path} is not valid JSON`, { cause });
  }
  const license = (parsed as { license?: unknown } | null)?.license;
  if (typeof license !== 'string') throw new LicenseError('license.corrupt', `license file ${path} has no "license" field`);
  return license;
}

export function toSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  return Math.floor(ms / 1000);
}

/**
 * Verifies a license given as a compact JWS string (never a path), offline, in the contract's order;
 * each failure is a LicenseError with its own code. The algorithm is checked before anything else.
 */
export async function verifyLicense(jws: string, options: VerifyOptions): Promise<VerifiedLicense> {
  const { header, parsed } = await verifiedPayload(jws, options.keys);
  // Both ways: the header's `typ` and the absence of the offline `use` claim, so neither kind passes for the other.
  if (header.typ !== LICENSE_TYP || (isObject(parsed) && parsed.use !== undefined)) {
    throw new LicenseError('license.wrong_type', header.typ === OFFLINE_LICENSE_TYP || (isObject(parsed) && parsed.use === OFFLINE_LICENSE_USE)
      ? 'the file is an offline license, not a 24-hour activation license: it is used only at /etc/localstack/conf.d/license.json or LOCALSTACK_LICENSE_FILE'
      : `the license's type (${outsideText(header.typ, [], 40)}) is not a 24-hour activation license (${LICENSE_TYP})`);
  }
  const claims = asClaims(parsed);
  checkClaims(claims, options.credential, toSeconds(options.now));
  return { jws, kid: header.kid, claims };
}

/**
 * The part every license kind shares, with no I/O but a trusted-keys file: form, algorithm (before anything
 * else), trusted key, signature; then the signed payload as JSON. Each failure is a LicenseError with its own code.
 */
export async function verifiedPayload(jws: string, keys: Jwks | string): Promise<{ header: LicenseHeader & { kid: string }; parsed: unknown }> {
  if (typeof jws !== 'string' || jws.length > LIMITS.jwsBytes || !COMPACT_JWS.test(jws)) {
    throw new LicenseError('license.corrupt', `the license is not a compact JWS of at most ${LIMITS.jwsBytes} bytes`);
  }
  const parts = jws.split('.') as [string, string, string];
  // One license, one spelling: base64url with stray trailing bits would decode to the same bytes.
  if (!parts.every((part) => Buffer.from(part, 'base64url').toString('base64url') === part)) {
    throw new LicenseError('license.corrupt', 'the license is not canonically base64url-encoded');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license header is not valid', { cause });
  }
  if (!isObject(header)) throw new LicenseError('license.corrupt', 'the license header is not valid');
  if (header.alg !== LICENSE_ALG) {
    throw new LicenseError('license.algorithm', `the license is signed with ${outsideText(header.alg, [], 40)}; only ${LICENSE_ALG} is accepted`);
  }
  const jwks = typeof keys === 'string' ? loadJwks(keys) : keys;
  const jwk = typeof header.kid === 'string' ? jwks.keys.find((k) => isObject(k) && k.kid === header.kid) : undefined;
  if (!jwk || typeof header.kid !== 'string') {
    throw new LicenseError('license.unknown_key', `the license was signed by key ${outsideText(header.kid, [], 80)}, which is not trusted`);
  }
  let key = imported.get(jwk);
  if (!key) {
    let cause: unknown;
    try {
      key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as NodeJwk, format: 'jwk' });
    } catch (error) {
      cause = error;
    }
    if (key?.asymmetricKeyType !== 'ed25519') {
      throw new LicenseError('license.keys_unreadable', `the trusted key ${outsideText(header.kid, [], 80)} cannot be used as an Ed25519 public key`, { cause });
    }
    imported.set(jwk, key);
  }
  // RFC 7515's `crit` (and the `b64` it would announce) change how a JWS is read: no license carries them.
  let verified = false;
  try {
    verified = header.crit === undefined && header.b64 === undefined
      && verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'));
  } catch {
    // A signature of the wrong length and the like: not genuine either.
  }
  if (!verified) {
    throw new LicenseError('license.signature', 'the license signature does not verify: it was altered or not issued by a trusted server');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license payload is not JSON', { cause });
  }
  return { header: { ...header, kid: header.kid }, parsed };
}

/** Verifies the license held in a file (the cache's JSON or a bare JWS), read with a size bound. */
export async function verifyLicenseFile(path: string, options: VerifyOptions): Promise<VerifiedLicense> {
  return verifyLicense(readLicenseFile(path), options);
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const LICENSE_TYPES = ['trial', 'subscription'];

/** Which claim of section 5 is missing or of the wrong type; undefined when all are there. */
function claimProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!(isString(v.aud) || (Array.isArray(v.aud) && v.aud.every(isString)))) return '"aud" missing or not a string';
  for (const name of ['iss', 'sub', 'jti', 'tok'] as const) if (!isString(v[name])) return `"${name}" missing or not a string`;
  for (const name of ['iat', 'nbf', 'exp'] as const) if (!isNumber(v[name])) return `"${name}" missing or not a number`;
  if (typeof v.ci !== 'boolean') return '"ci" missing or not a boolean';
  const lic = v.lic;
  if (!isObject(lic)) return '"lic" missing or not an object';
  for (const name of ['id', 'type', 'plan', 'status', 'expiresAt'] as const) if (!isString(lic[name])) return `"lic.${name}" missing or not a string`;
  if (!LICENSE_TYPES.includes(lic.type as string)) return '"lic.type" is neither trial nor subscription';
  const ws = v.ws;
  if (!isObject(ws) || !isString(ws.id) || !isString(ws.name)) return '"ws" missing or not {"id", "name"}';
  if (!Array.isArray(v.features) || !v.features.every(isString)) return '"features" missing or not a list of strings';
  return undefined;
}

/**
 * A signed payload is only a license when it has every claim section 5 lists, each of its type;
 * anything else is `license.corrupt`, so no program reading a verified license can crash on it.
 */
function asClaims(value: unknown): LicenseClaims {
  const problem = claimProblem(value);
  if (problem) throw new LicenseError('license.corrupt', `the signed payload is not a license (${problem})`);
  return value as unknown as LicenseClaims;
}

/** The claim checks after the signature, in the contract's order. */
export function checkClaims(claims: LicenseClaims, credential: string | undefined, nowS: number): void {
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(AUDIENCE)) {
    throw new LicenseError('license.audience', `the license is for ${outsideText(aud.join(', '), [], 80)}, not ${AUDIENCE}`);
  }
  if (credential !== undefined && claims.tok !== credentialBinding(credential)) {
    throw new LicenseError('license.credential_mismatch', 'the license was activated with another credential');
  }
  if (nowS >= claims.exp) {
    throw new LicenseError('license.offline_expired', `the license's offline validity (${OFFLINE_VALIDITY_S / 3600} h) ended at ${isoSeconds(claims.exp)}`);
  }
  if (claims.iat > nowS + CLOCK_SKEW_S) {
    throw new LicenseError('license.clock_rolled_back', `the license was issued at ${isoSeconds(claims.iat)}, after this machine's time: the system clock is behind`);
  }
  const lic = claims.lic;
  if (lic.status !== 'ACTIVE' || !(Date.parse(lic.expiresAt) > nowS * 1000)) {
    throw new LicenseError('license.inactive', `the license ${outsideText(lic.id, [], 80)} is not active (status ${outsideText(lic.status, [], 40)}, ends ${outsideText(lic.expiresAt, [], 40)})`);
  }
}

export function isoSeconds(s: number): string {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : isoTime(d);
}
