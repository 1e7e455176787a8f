// `localstack license show --file` (issue 21): an offline license file described as the entrypoint verifies it.
import { LicenseError } from '../core/errors.ts';
import type { Jwks } from '../core/license.ts';
import { verifyOfflineLicenseFile, type OfflineLicenseClaims } from '../core/offline-license.ts';
import { outsideText } from '../core/redact.ts';
import { offlineExpiryNotice, offlineReasonCode, OFFLINE_REASON_TEXT } from '../entrypoint/offline-license.ts';

const DAY_MS = 86_400_000;

/** What `license show` prints for a verified offline license. */
export function describeOfflineLicense(path: string, claims: OfflineLicenseClaims, now: Date): string {
  const t = (s: string) => outsideText(s, [], 100);
  return [
    `License file:     ${path}`,
    `Kind:             offline license (no license server contacted; revoked by expiry only)`,
    `Offline license:  ${t(claims.jti)}`,
    `Installation:     ${t(claims.installation)}`,
    `Seats:            ${claims.seats}`,
    `Workspace:        ${t(claims.ws.name)} (${t(claims.ws.id)})`,
    `License:          ${t(claims.lic.id)}`,
    `Plan:             ${t(claims.lic.plan)}`,
    `Valid from:       ${new Date(claims.nbf * 1000).toISOString()}`,
    `Valid until:      ${new Date(claims.exp * 1000).toISOString()} (${Math.max(0, Math.floor((claims.exp * 1000 - now.getTime()) / DAY_MS))} days left)`,
    `Pro features:     ${claims.features.map(t).join(', ')}`,
  ].join('\n');
}

/** The description and its 30/7-day notice, or the reason (with its fix) why the file cannot be used. */
export async function showOfflineLicense(path: string, keys: Jwks | string, now: Date): Promise<{ ok: true; text: string } | { ok: false; code: string; message: string }> {
  try {
    const verified = await verifyOfflineLicenseFile(path, { keys, now });
    const notice = offlineExpiryNotice(verified, now);
    return { ok: true, text: describeOfflineLicense(path, verified.claims, now) + (notice ? `\nWarning:          ${notice}` : '') };
  } catch (error) {
    if (!(error instanceof LicenseError)) throw error;
    const code = offlineReasonCode(error.code);
    return { ok: false, code, message: OFFLINE_REASON_TEXT[code]!(error.message) };
  }
}
