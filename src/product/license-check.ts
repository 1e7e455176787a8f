import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { ENV } from '../core/constants.ts';
import { oidcBindingValue } from '../core/oidc-binding.ts';
import type { Env } from '../core/env.ts';
import { LicenseError } from '../core/errors.ts';
import { verifyLicenseFile, type LicenseClaims } from '../core/license.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import { resolveCredential } from '../core/credential-source.ts';
import { checkOfflineLicense, OFFLINE_LICENSE_MODE } from './offline-license-check.ts';

/** What the product serves from: the claims of a 24-hour license or of an offline license (both have ws and features). */
export type LicenseState = { pro: true; claims: Pick<LicenseClaims, 'ws' | 'features'> } | { pro: false; why: string };

/** The credential the product was started with, read as the entrypoint reads it; none when it cannot be. */
function credentialOf(env: Env): string | undefined {
  const found = resolveCredential(env);
  if (found.ok) return found.resolved.credential.value;
  return pipelineOf(env);
}

/** Activated with a CI ID token: the license is bound to the pipeline it names (issuer and subject), read without verifying. */
function pipelineOf(env: Env): string | undefined {
  try {
    const file = env[ENV.oidcTokenFile]?.trim();
    const token = env[ENV.oidcToken]?.trim() || (file ? readFileSync(file, 'utf8').trim() : undefined);
    if (!token) return undefined;
    const { iss, sub } = decodeJwt(token);
    return typeof iss === 'string' && typeof sub === 'string' ? oidcBindingValue(iss, sub) : undefined;
  } catch {
    return undefined;
  }
}

/** The product trusts no flag: it verifies LICENSE_FILE itself, bound to the credential it was given. */
export async function checkLicense(env: Env, now: Date): Promise<LicenseState> {
  const file = env[ENV.licenseFile];
  if (!file) return { pro: false, why: 'no LICENSE_FILE' };
  // An offline license stands for an installation, not a credential: it is verified as its own kind, never as a 24-hour one.
  if (env[ENV.licenseMode] === OFFLINE_LICENSE_MODE) return checkOfflineLicense(file, env, now);
  // A license is bound to a credential: without one, a copied license file would make any machine Pro.
  const credential = credentialOf(env);
  if (!credential) return { pro: false, why: `no credential to check ${ENV.licenseFile} against (set ${ENV.authToken})` };
  try {
    const { claims } = await verifyLicenseFile(file, { keys: env[ENV.trustedKeys] || defaultTrustedKeysPath(), credential, now });
    return { pro: true, claims };
  } catch (error) {
    return { pro: false, why: error instanceof LicenseError ? `${error.message} [${error.code}]` : String(error) };
  }
}
