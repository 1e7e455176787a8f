import { LICENSE_FILE_FORMAT } from './constants.ts';

/** `<LICENSE_CACHE_DIR>/license.json` (section 5). */
export interface CacheFile {
  format: number;
  license: string;
  activatedAt: string;
  endpoint: string;
}

export function serialise(jws: string, endpoint: string, now: Date): string {
  const file: CacheFile = { format: LICENSE_FILE_FORMAT, license: jws, activatedAt: now.toISOString(), endpoint };
  return `${JSON.stringify(file, null, 2)}\n`;
}
