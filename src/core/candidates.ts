import { statSync } from 'node:fs';
import { cacheFiles } from './cache-file.ts';
import { BAKED_LICENSE, MOUNTED_LICENSE } from './constants.ts';
import { credentialBinding } from './credentials.ts';
import { LicenseError } from './errors.ts';
import { verifyLicenseFile, type Jwks, type VerifiedLicense } from './license.ts';

/** A license file found offline: verified, or rejected with the verifier's code. Only a verified one is ever used. */
export type Candidate =
  | { path: string; verified: VerifiedLicense }
  | { path: string; rejected: { code: string; message: string } };

export type VerifiedCandidate = Extract<Candidate, { verified: unknown }>;

export interface CandidatePaths {
  mounted: string;
  baked: string;
}

/** Section 5's order: mounted by `localstack start`, the cache (license.json, then the credential's own file), baked into the image. */
export function candidatePaths(cacheDir: string, credential: string, paths: CandidatePaths = { mounted: MOUNTED_LICENSE, baked: BAKED_LICENSE }): string[] {
  return [paths.mounted, ...cacheFiles(cacheDir, credentialBinding(credential)), paths.baked];
}

/** Words for the banner: why a cached license could not be used. */
const WHY: Record<string, string> = {
  'license.offline_expired': 'expired (older than 24 h)',
  'license.credential_mismatch': 'activated with another credential',
  'license.signature': 'not genuine',
  'license.algorithm': 'not genuine',
  'license.unknown_key': 'signed by an unknown key',
  'license.clock_rolled_back': 'issued in the future: the system clock is behind (rolled back)',
  'license.corrupt': 'corrupt',
  'license.too_large': 'too large to be a license',
  'license.unreadable': 'unreadable',
  'license.audience': 'for another product',
  'license.inactive': 'the license itself has ended',
  'license.wrong_type': 'an offline license, not a 24-hour license',
};

export function describeRejection(code: string): string {
  return WHY[code] ?? code;
}

/** The newest verified candidate; undefined when none verified. */
export function chooseNewest(candidates: Candidate[]): VerifiedCandidate | undefined {
  let best: VerifiedCandidate | undefined;
  for (const c of candidates) {
    if ('verified' in c && (!best || c.verified.claims.iat > best.verified.claims.iat)) best = c;
  }
  return best;
}

/** Why no candidate was usable, one clause per file found. */
export function summariseRejections(candidates: Candidate[]): string {
  const rejected = candidates.filter((c): c is Extract<Candidate, { rejected: unknown }> => 'rejected' in c);
  if (rejected.length === 0) return 'no cached license exists';
  return rejected.map((c) => `${c.path}: ${describeRejection(c.rejected.code)}`).join('; ');
}

/** Absent means absent: a file behind a folder this user cannot search (EACCES) or a symlink loop is read, and refused with its cause. */
function mayExist(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

/** Verifies every existing candidate file; a corrupt, huge or foreign file is a rejection, never a crash. */
export async function readCandidates(paths: string[], options: { keys: Jwks | string; credential?: string; now: Date }): Promise<Candidate[]> {
  const found = paths.filter(mayExist);
  return Promise.all(found.map(async (path): Promise<Candidate> => {
    try {
      return { path, verified: await verifyLicenseFile(path, options) };
    } catch (error) {
      if (error instanceof LicenseError) return { path, rejected: { code: error.code, message: error.message } };
      return { path, rejected: { code: 'license.unreadable', message: String(error) } };
    }
  }));
}
