// The entrypoint's side of offline licenses (issue 21): find the file, verify it with no network, say why it is
// refused, and warn 30 and 7 days before it ends. Never contacts the license server.
import { statSync } from 'node:fs';
import { ENV, MOUNTED_LICENSE } from '../core/constants.ts';
import type { Env } from '../core/env.ts';
import { LicenseError } from '../core/errors.ts';
import type { Jwks } from '../core/license.ts';
import { verifyOfflineLicenseFile, type VerifiedOfflineLicense } from '../core/offline-license.ts';
import type { Reason } from '../core/reason.ts';
import { outsideText } from '../core/redact.ts';
import { isoTime } from '../core/iso-time.ts';

export type OfflineLicenseFound =
  | { found: false }
  | { found: true; path: string; verified: VerifiedOfflineLicense }
  | { found: true; path: string; reason: Reason };

const DAY_MS = 86_400_000;
/** The notices before an offline license ends, largest first. */
export const OFFLINE_NOTICE_DAYS = [30, 7] as const;
const ASK = 'Ask an owner or admin of the workspace for a new offline license file (console: Users & Licenses, Offline licenses)';
const ASK_LOWER = `a${ASK.slice(1)}`;

/** One sentence of cause, one of fix, for each way an offline license is refused (reasons.ts shows them). */
export const OFFLINE_REASON_TEXT: Record<string, (detail: string) => string> = {
  'offline_license.expired': (d) => `The offline license has expired: ${d}. ${ASK}; revocation is by expiry only, so an expired file never works again.`,
  'offline_license.wrong_type': (d) => `The file is not an offline license: ${d}. ${ASK}, or set ${ENV.authToken} to activate online.`,
  'offline_license.not_yet_valid': (d) => `The offline license is not valid yet: ${d}. Fix this machine's clock (NTP), or use the file from the day it starts.`,
  'offline_license.not_genuine': (d) => `The offline license is not genuine: ${d}. Use the file exactly as it was downloaded (one changed byte breaks the signature), or ${ASK_LOWER}.`,
  'offline_license.unknown_key': (d) => `The offline license was signed by a key this image does not trust: ${d}. Use an image whose ${ENV.trustedKeys} holds the license server's keys, retired ones included.`,
  'offline_license.unreadable': (d) => `The offline license file cannot be read: ${d}. Mount it read-only at ${MOUNTED_LICENSE} (readable by this user) or point ${ENV.offlineLicenseFile} at it.`,
};

/** The verifier's code, as the reason the banner explains. */
export function offlineReasonCode(code: string): string {
  if (code === 'license.expired' || code === 'license.wrong_type' || code === 'license.not_yet_valid' || code === 'license.unknown_key') return `offline_license.${code.slice('license.'.length)}`;
  if (code === 'license.unreadable' || code === 'license.too_large' || code === 'license.keys_unreadable') return 'offline_license.unreadable';
  return 'offline_license.not_genuine';
}

/** LOCALSTACK_LICENSE_FILE when set (then it must exist), else the mounted path when a file is there. */
export function offlineLicensePath(env: Env, mounted = MOUNTED_LICENSE): { path: string; explicit: boolean } {
  const named = env[ENV.offlineLicenseFile]?.trim();
  return named ? { path: named, explicit: true } : { path: mounted, explicit: false };
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true; // there but not reachable: read, and refused with its cause
  }
}

/** Reads and verifies the offline license, if there is one; no network. */
export async function findOfflineLicense(env: Env, keys: Jwks | string, now: Date, mounted?: string): Promise<OfflineLicenseFound> {
  const { path, explicit } = offlineLicensePath(env, mounted);
  if (!explicit && !exists(path)) return { found: false };
  try {
    return { found: true, path, verified: await verifyOfflineLicenseFile(path, { keys, now }) };
  } catch (error) {
    if (!(error instanceof LicenseError)) throw error;
    return { found: true, path, reason: { code: offlineReasonCode(error.code), detail: error.message.includes(path) ? error.message : `${path}: ${error.message}` } };
  }
}

/** The success line: which installation, which workspace, until when, from which file. */
export function offlineSuccessLine(license: VerifiedOfflineLicense, path: string): string {
  const c = license.claims;
  return `Successfully activated offline license ${outsideText(c.jti, [], 80)} for ${outsideText(c.installation, [], 80)} `
    + `(workspace ${outsideText(c.ws.name, [], 80)}, ${c.seats} seat${c.seats === 1 ? '' : 's'}) from ${path}, valid until ${isoTime(c.exp * 1000)}; the license server is never contacted 🔑✅`;
}

/** The 30- or 7-day notice when the offline license ends within that; undefined otherwise. */
export function offlineExpiryNotice(license: VerifiedOfflineLicense, now: Date): string | undefined {
  const left = license.claims.exp * 1000 - now.getTime();
  const notice = [...OFFLINE_NOTICE_DAYS].reverse().find((days) => left > 0 && left <= days * DAY_MS);
  if (notice === undefined) return undefined;
  const whole = Math.floor(left / DAY_MS);
  const when = whole === 0 ? 'in less than a day' : `in ${whole} day${whole === 1 ? '' : 's'}`;
  return `The offline license ${outsideText(license.claims.jti, [], 80)} for ${outsideText(license.claims.installation, [], 80)} ends ${when} `
    + `(${isoTime(license.claims.exp * 1000)}). ${ASK} before then: Pro features stop when it ends.`;
}

/** setTimeout takes at most ~24.8 days; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Warns at 30 and at 7 days before the end of a container that runs that long; the timers never keep
 * the process alive. Returns the stop function.
 */
export function scheduleOfflineExpiryNotices(license: VerifiedOfflineLicense, warn: (line: string) => void, clock: () => Date = () => new Date()): () => void {
  let timer: NodeJS.Timeout | undefined;
  const endMs = license.claims.exp * 1000;
  const arm = () => {
    const nowMs = clock().getTime();
    const next = OFFLINE_NOTICE_DAYS.map((d) => endMs - d * DAY_MS).find((t) => t > nowMs);
    if (next === undefined) return;
    timer = setTimeout(() => {
      if (clock().getTime() >= next) {
        const line = offlineExpiryNotice(license, clock());
        if (line) warn(line);
      }
      arm();
    }, Math.min(next - nowMs, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
