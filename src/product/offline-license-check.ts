import { ENV } from '../core/constants.ts';
import type { Env } from '../core/env.ts';
import { LicenseError } from '../core/errors.ts';
import { verifyOfflineLicenseFile } from '../core/offline-license.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import type { LicenseState } from './license-check.ts';

/** LICENSE_MODE of a start with an offline license (issue 21). */
export const OFFLINE_LICENSE_MODE = 'offline-license';

/** The product trusts no flag here either: it verifies the offline license file itself, against the trusted keys. */
export async function checkOfflineLicense(file: string, env: Env, now: Date): Promise<LicenseState> {
  try {
    const { claims } = await verifyOfflineLicenseFile(file, { keys: env[ENV.trustedKeys] || defaultTrustedKeysPath(), now });
    return { pro: true, claims };
  } catch (error) {
    return { pro: false, why: error instanceof LicenseError ? `${error.message} [${error.code}]` : String(error) };
  }
}
