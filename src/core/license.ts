import { compactVerify, decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import { AUDIENCE, CLOCK_SKEW_S, LICENSE_ALG, LICENSE_TYP, LIMITS, OFFLINE_VALIDITY_S } from './constants.ts';
import { credentialBinding } from './credentials.ts';
import { LicenseError } from './errors.ts';
import { readBounded } from './files.ts';
import { outsideText } from './redact.ts';

export interface LicenseInfo {
  id: string;
  type: 'trial' | 'subscription';
  plan: string;
  status: string;
  expiresAt: string;
}

export interface LicenseClaims {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
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
const imported = new WeakMap<JWK, Promise<KeyLike>>();
const jwksFiles = new Map<string, Jwks>();
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Signs claims as the contract's compact JWS (server side). */
export async function signLicense(claims: LicenseClaims, key: { privateKey: KeyLike; kid: string }): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: LICENSE_ALG, kid: key.kid, typ: LICENSE_TYP })
    .sign(key.privateKey);
}

/** Reads a JWKS file (bounded); cached per path for the life of the process. */
export function loadJwks(path: string): Jwks {
  let jwks = jwksFiles.get(path);
  if (jwks) return jwks;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readBounded(path, LIMITS.jwksBytes));
  } catch (cause) {
    throw new LicenseError('license.keys_unreadable', `cannot read the trusted keys file ${path} (${errorCode(cause)})`, { cause });
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as Jwks).keys)) {
    throw new LicenseError('license.keys_unreadable', `the trusted keys file ${path} is not a JWKS ({"keys": [...]})`);
  }
  jwks = parsed as Jwks;
  jwksFiles.set(path, jwks);
  return jwks;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof SyntaxError ? 'not JSON' : 'error';
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
    const code = errorCode(cause);
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

function toSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  return Math.floor(ms / 1000);
}

/**
 * Verifies a license given as a compact JWS string (never a path), offline, in the contract's order;
 * each failure is a LicenseError with its own code. The algorithm is checked before anything else.
 */
export async function verifyLicense(jws: string, options: VerifyOptions): Promise<VerifiedLicense> {
  if (typeof jws !== 'string' || jws.length > LIMITS.jwsBytes || !COMPACT_JWS.test(jws)) {
    throw new LicenseError('license.corrupt', `the license is not a compact JWS of at most ${LIMITS.jwsBytes} bytes`);
  }
  // One license, one spelling: base64url with stray trailing bits would decode to the same bytes.
  if (!jws.split('.').every((part) => Buffer.from(part, 'base64url').toString('base64url') === part)) {
    throw new LicenseError('license.corrupt', 'the license is not canonically base64url-encoded');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license header is not valid', { cause });
  }
  if (header.alg !== LICENSE_ALG) {
    throw new LicenseError('license.algorithm', `the license is signed with ${outsideText(header.alg, [], 40)}; only ${LICENSE_ALG} is accepted`);
  }
  const jwks = typeof options.keys === 'string' ? loadJwks(options.keys) : options.keys;
  const jwk = typeof header.kid === 'string' ? jwks.keys.find((k) => k.kid === header.kid) : undefined;
  if (!jwk || typeof header.kid !== 'string') {
    throw new LicenseError('license.unknown_key', `the license was signed by key ${outsideText(header.kid, [], 80)}, which is not trusted`);
  }
  let keyPromise = imported.get(jwk);
  if (!keyPromise) {
    keyPromise = importJWK(jwk, LICENSE_ALG);
    imported.set(jwk, keyPromise);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, await keyPromise, { algorithms: [LICENSE_ALG] }));
  } catch (cause) {
    throw new LicenseError('license.signature', 'the license signature does not verify: it was altered or not issued by a trusted server', { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license payload is not JSON', { cause });
  }
  const claims = asClaims(parsed);
  checkClaims(claims, options.credential, toSeconds(options.now));
  return { jws, kid: header.kid, claims };
}

/** Verifies the license held in a file (the cache's JSON or a bare JWS), read with a size bound. */
export async function verifyLicenseFile(path: string, options: VerifyOptions): Promise<VerifiedLicense> {
  return verifyLicense(readLicenseFile(path), options);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** A signed payload is only a license when it has the contract's shape; anything else is `license.corrupt`. */
function asClaims(value: unknown): LicenseClaims {
  const ok = isObject(value)
    && (isString(value.aud) || (Array.isArray(value.aud) && value.aud.every(isString)))
    && isString(value.tok) && Number.isFinite(value.iat) && Number.isFinite(value.exp)
    && isObject(value.lic) && isString(value.lic.id) && isString(value.lic.type) && isString(value.lic.status) && isString(value.lic.expiresAt)
    && (value.features === undefined || (Array.isArray(value.features) && value.features.every(isString)));
  if (!ok) throw new LicenseError('license.corrupt', 'the signed payload is not a license (claims missing or of the wrong type)');
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

function isoSeconds(s: number): string {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : d.toISOString();
}
