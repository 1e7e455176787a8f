import { readFileSync } from 'node:fs';
import { compactVerify, decodeProtectedHeader, importJWK, SignJWT, type JWK } from 'jose';
import { AUDIENCE, CLOCK_SKEW_S, LICENSE_ALG, LICENSE_TYP, OFFLINE_VALIDITY_S } from './constants.ts';
import { credentialBinding } from './credentials.ts';
import { LicenseError } from './errors.ts';

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

/** Signs claims as the contract's compact JWS (server side). */
export async function signLicense(claims: LicenseClaims, key: { privateKey: KeyLike; kid: string }): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: LICENSE_ALG, kid: key.kid, typ: LICENSE_TYP })
    .sign(key.privateKey);
}

export function loadJwks(path: string): Jwks {
  let jwks = jwksFiles.get(path);
  if (jwks) return jwks;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new LicenseError('license.keys_unreadable', `cannot read the trusted keys file ${path}`, { cause });
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as Jwks).keys)) {
    throw new LicenseError('license.keys_unreadable', `the trusted keys file ${path} is not a JWKS ({"keys": [...]})`);
  }
  jwks = parsed as Jwks;
  jwksFiles.set(path, jwks);
  return jwks;
}

/** Pulls the JWS out of a cache file's JSON, a bare JWS file, or a JWS string. */
export function extractJws(jwsOrFile: string): string {
  const text = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(jwsOrFile.trim()) ? jwsOrFile : readLicenseFile(jwsOrFile);
  return text.trim();
}

function readLicenseFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LicenseError('license.unreadable', `cannot read license file ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`, { cause });
  }
  if (!text.trimStart().startsWith('{')) return text;
  try {
    const parsed = JSON.parse(text) as { license?: unknown };
    if (typeof parsed.license === 'string') return parsed.license;
  } catch (cause) {
    throw new LicenseError('license.corrupt', `license file ${path} is not valid JSON`, { cause });
  }
  throw new LicenseError('license.corrupt', `license file ${path} has no "license" field`);
}

function toSeconds(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  return Math.floor(ms / 1000);
}

/**
 * Verifies a license offline, in the contract's order; each failure is a LicenseError with its own code.
 * The algorithm is checked before anything else so that no other work is done for a forged header.
 */
export async function verifyLicense(jwsOrFile: string, options: VerifyOptions): Promise<VerifiedLicense> {
  const jws = extractJws(jwsOrFile);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license is not a compact JWS', { cause });
  }
  if (header.alg !== LICENSE_ALG) {
    throw new LicenseError('license.algorithm', `the license is signed with ${String(header.alg)}; only ${LICENSE_ALG} is accepted`);
  }
  const jwks = typeof options.keys === 'string' ? loadJwks(options.keys) : options.keys;
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || typeof header.kid !== 'string') {
    throw new LicenseError('license.unknown_key', `the license was signed by key ${String(header.kid)}, which is not trusted`);
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
  let claims: LicenseClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as LicenseClaims;
  } catch (cause) {
    throw new LicenseError('license.corrupt', 'the license payload is not JSON', { cause });
  }
  checkClaims(claims, options.credential, toSeconds(options.now));
  return { jws, kid: header.kid, claims };
}

/** The claim checks after the signature, in the contract's order. */
export function checkClaims(claims: LicenseClaims, credential: string | undefined, nowS: number): void {
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(AUDIENCE)) {
    throw new LicenseError('license.audience', `the license is for ${String(claims.aud)}, not ${AUDIENCE}`);
  }
  if (credential !== undefined && claims.tok !== credentialBinding(credential)) {
    throw new LicenseError('license.credential_mismatch', 'the license was activated with another credential');
  }
  if (typeof claims.exp !== 'number' || nowS >= claims.exp) {
    throw new LicenseError('license.offline_expired', `the license's offline validity (${OFFLINE_VALIDITY_S / 3600} h) ended at ${isoSeconds(claims.exp)}`);
  }
  if (typeof claims.iat !== 'number' || claims.iat > nowS + CLOCK_SKEW_S) {
    throw new LicenseError('license.clock_rolled_back', `the license was issued at ${isoSeconds(claims.iat)}, after this machine's time: the system clock is behind`);
  }
  const lic = claims.lic;
  if (!lic || lic.status !== 'ACTIVE' || !(Date.parse(lic.expiresAt) > nowS * 1000)) {
    throw new LicenseError('license.inactive', `the license ${lic?.id ?? ''} is not active (status ${lic?.status}, ends ${lic?.expiresAt})`);
  }
}

function isoSeconds(s: unknown): string {
  return typeof s === 'number' ? new Date(s * 1000).toISOString() : String(s);
}
