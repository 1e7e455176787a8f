import { join } from 'node:path';
import { LICENSE_FILE_FORMAT, LICENSE_FILE_NAME } from './constants.ts';
import { withoutUserinfo } from './redact.ts';
import { isoTime } from './iso-time.ts';

/** `<LICENSE_CACHE_DIR>/license.json` (section 5). */
export interface CacheFile {
  format: number;
  license: string;
  activatedAt: string;
  endpoint: string;
}

export function serialise(jws: string, endpoint: string, now: Date): string {
  const file: CacheFile = { format: LICENSE_FILE_FORMAT, license: jws, activatedAt: isoTime(now), endpoint: withoutUserinfo(endpoint) };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The cache file of one credential, used when license.json holds a still-valid license of another
 * credential (containers with different credentials sharing one folder): `license-<12 hex>.json`,
 * the first 6 bytes of the credential's SHA-256, taken from the license's `tok` claim.
 */
export function credentialCacheName(tok: string): string {
  return `license-${Buffer.from(tok, 'base64url').toString('hex').slice(0, 12)}.json`;
}

/** The cache files a credential may use, in order: the shared license.json, then its own. */
export function cacheFiles(cacheDir: string, tok: string): [string, string] {
  return [join(cacheDir, LICENSE_FILE_NAME), join(cacheDir, credentialCacheName(tok))];
}
