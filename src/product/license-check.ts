import { ENV } from '../core/constants.ts';
import { credentialFromEnv } from '../core/env-credential.ts';
import { LicenseError } from '../core/errors.ts';
import { verifyLicense, type LicenseClaims } from '../core/license.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';

export type LicenseState = { pro: true; claims: LicenseClaims } | { pro: false; why: string };

/** The product trusts no flag: it verifies LICENSE_FILE itself, bound to the credential it was given. */
export async function checkLicense(env: Record<string, string | undefined>, now: Date): Promise<LicenseState> {
  const file = env[ENV.licenseFile];
  if (!file) return { pro: false, why: 'no LICENSE_FILE' };
  try {
    const { claims } = await verifyLicense(file, { keys: env[ENV.trustedKeys] || defaultTrustedKeysPath(), credential: credentialFromEnv(env), now });
    return { pro: true, claims };
  } catch (error) {
    return { pro: false, why: error instanceof LicenseError ? `${error.message} [${error.code}]` : String(error) };
  }
}
