import { join } from 'node:path';
import { cacheFiles } from '../core/cache-file.ts';
import { chooseNewest, type Candidate, type VerifiedCandidate } from '../core/candidates.ts';
import { LICENSE_FILE_NAME } from '../core/constants.ts';
import { credentialBinding } from '../core/credentials.ts';

export type Rejected = Extract<Candidate, { rejected: unknown }>;

/** What `license show` found: the license to describe, or why there is none. */
export type ShowDecision =
  | { kind: 'license'; candidate: VerifiedCandidate }
  | { kind: 'none' }
  | { kind: 'unreadable'; path: string }
  | { kind: 'unusable'; rejected: Rejected[] };

/**
 * The cache files `license show` reads: with a credential, the ones the entrypoint may use for it
 * (license.json, then the credential's own file); with none, license.json alone.
 */
export function licenseShowPaths(cacheDir: string, credential: string | undefined): string[] {
  return credential ? cacheFiles(cacheDir, credentialBinding(credential)) : [join(cacheDir, LICENSE_FILE_NAME)];
}

/** A cached file this user may not read: written by an older CLI whose container ran as the image's user. */
export const isPermissionDenied = (rejected: { code: string; message: string }) =>
  rejected.code === 'license.unreadable' && /\b(EACCES|EPERM)\b/.test(rejected.message);

/** The freshest candidate that verifies (core's choice, as the entrypoint makes it); else why none does. */
export function decideShow(candidates: Candidate[]): ShowDecision {
  const best = chooseNewest(candidates);
  if (best) return { kind: 'license', candidate: best };
  const rejected = candidates.filter((c): c is Rejected => 'rejected' in c);
  if (rejected.length === 0) return { kind: 'none' };
  const denied = rejected.find((c) => isPermissionDenied(c.rejected));
  return denied ? { kind: 'unreadable', path: denied.path } : { kind: 'unusable', rejected };
}

/** A folder where the cache file belongs: renewing cannot replace it (a rename onto a folder fails), removing it can. */
export const isFolder = (rejected: { code: string; message: string }) =>
  rejected.code === 'license.unreadable' && /\bEISDIR\b/.test(rejected.message);
