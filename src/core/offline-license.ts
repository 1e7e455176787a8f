// Offline licenses (issue 21): a file an administrator carries into an installation that never reaches the license
// server. The same keys and the same signature check as the 24-hour license, its own type (header `typ` and claim
// `use`), verified with no I/O but the trusted-keys file (as keygen's Verify).
import { SignJWT } from 'jose';
import { AUDIENCE, CLOCK_SKEW_S, LICENSE_ALG, LICENSE_TYP, MOUNTED_LICENSE, OFFLINE_LICENSE_TYP, OFFLINE_LICENSE_USE } from './constants.ts';
import { LicenseError } from './errors.ts';
import { isNumber, isObject, isoSeconds, isString, readLicenseFile, toSeconds, verifiedPayload, type Jwks, type RegisteredClaims } from './license.ts';
import { outsideText } from './redact.ts';

/** `sub`: the workspace the seats are taken from; `jti`: the offline license's id (`off-…`), as the audit list shows it. */
export interface OfflineLicenseClaims extends RegisteredClaims {
  use: typeof OFFLINE_LICENSE_USE;
  ws: { id: string; name: string };
  lic: { id: string; type: 'trial' | 'subscription'; plan: string };
  features: string[];
  /** The installation it was issued for, in the issuer's words. */
  installation: string;
  /** The seats it takes from the workspace while valid. */
  seats: number;
}

export interface VerifiedOfflineLicense {
  jws: string;
  kid: string;
  claims: OfflineLicenseClaims;
}

/** Signs offline claims with a jose key (tests; the server signs with node:crypto in signing/keys.ts). */
export async function signOfflineLicense(claims: OfflineLicenseClaims, key: { privateKey: Parameters<SignJWT['sign']>[0]; kid: string }): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: LICENSE_ALG, kid: key.kid, typ: OFFLINE_LICENSE_TYP }).sign(key.privateKey);
}

/** Which claim is missing or of the wrong type; undefined when all are there. */
function claimProblem(v: Record<string, unknown>): string | undefined {
  if (!isString(v.aud)) return '"aud" missing or not a string';
  for (const name of ['iss', 'sub', 'jti', 'installation'] as const) if (!isString(v[name])) return `"${name}" missing or not a string`;
  for (const name of ['iat', 'nbf', 'exp'] as const) if (!isNumber(v[name])) return `"${name}" missing or not a number`;
  if (!Number.isSafeInteger(v.seats) || (v.seats as number) < 0) return '"seats" missing or not a whole number';
  const ws = v.ws;
  if (!isObject(ws) || !isString(ws.id) || !isString(ws.name) || ws.id !== v.sub) return '"ws" missing, not {"id", "name"} or not the subject';
  const lic = v.lic;
  if (!isObject(lic) || !isString(lic.id) || !isString(lic.plan) || !['trial', 'subscription'].includes(lic.type as string)) return '"lic" missing or not {"id", "type", "plan"}';
  if (!Array.isArray(v.features) || !v.features.every(isString)) return '"features" missing or not a list of strings';
  return undefined;
}

/**
 * Verifies an offline license given as a compact JWS, offline: signature by a trusted key, then its type both
 * ways (a 24-hour license is never one), its claims, audience and validity. Each failure a LicenseError.
 */
export async function verifyOfflineLicense(jws: string, options: { keys: Jwks | string; now?: Date | number }): Promise<VerifiedOfflineLicense> {
  const { header, parsed } = await verifiedPayload(jws, options.keys);
  const use = isObject(parsed) ? parsed.use : undefined;
  if (header.typ !== OFFLINE_LICENSE_TYP || use !== OFFLINE_LICENSE_USE) {
    throw new LicenseError('license.wrong_type', header.typ === LICENSE_TYP || (isObject(parsed) && parsed.tok !== undefined)
      ? 'the file is a 24-hour activation license, not an offline license'
      : `the file's type (${outsideText(header.typ, [], 40)}, use ${outsideText(use, [], 40)}) is not an offline license (${OFFLINE_LICENSE_TYP})`);
  }
  const problem = claimProblem(parsed as Record<string, unknown>);
  if (problem) throw new LicenseError('license.corrupt', `the signed payload is not an offline license (${problem})`);
  const claims = parsed as OfflineLicenseClaims;
  checkOfflineClaims(claims, toSeconds(options.now));
  return { jws, kid: header.kid, claims };
}

/** Audience, then validity: not before `nbf` (with the clock skew allowed), not at or after `exp`. */
export function checkOfflineClaims(claims: OfflineLicenseClaims, nowS: number): void {
  if (claims.aud !== AUDIENCE) throw new LicenseError('license.audience', `the offline license is for ${outsideText(claims.aud, [], 80)}, not ${AUDIENCE}`);
  if (claims.nbf > nowS + CLOCK_SKEW_S) {
    throw new LicenseError('license.not_yet_valid', `the offline license ${outsideText(claims.jti, [], 80)} is valid only from ${isoSeconds(claims.nbf)}: it is early, or this machine's clock is behind`);
  }
  if (nowS >= claims.exp) {
    throw new LicenseError('license.expired', `the offline license ${outsideText(claims.jti, [], 80)} for ${outsideText(claims.installation, [], 80)} (workspace ${outsideText(claims.ws.name, [], 80)}) expired at ${isoSeconds(claims.exp)}`);
  }
}

/** Verifies the offline license held in a file (`{"license": …}` or a bare JWS), read with a size bound. */
export async function verifyOfflineLicenseFile(path: string, options: { keys: Jwks | string; now?: Date | number }): Promise<VerifiedOfflineLicense> {
  return verifyOfflineLicense(readLicenseFile(path), options);
}

/** The file the issuer hands out: what readLicenseFile reads, plus unsigned words for the person carrying it. */
export function offlineLicenseFileText(jws: string, claims: OfflineLicenseClaims): string {
  return `${JSON.stringify({
    type: 'offline-license', installation: claims.installation, workspace: claims.ws.name, validUntil: isoSeconds(claims.exp),
    install: `mount read-only at ${MOUNTED_LICENSE} (or set LOCALSTACK_LICENSE_FILE)`, license: jws,
  }, null, 2)}\n`;
}
