import { outsideText } from './redact.ts';
import type { LicenseInfo } from './license.ts';
import { isoTime } from './iso-time.ts';

/** Days of notice before a license ends: a trial is short, so its notice is too. */
export const EXPIRY_NOTICE_DAYS = { subscription: 14, trial: 3 } as const;

const DAY_MS = 86_400_000;

/** A warning when the license (lic.expiresAt) ends soon; undefined otherwise. */
export function expiryNotice(lic: Pick<LicenseInfo, 'id' | 'type' | 'expiresAt'>, now: Date): string | undefined {
  const end = Date.parse(lic.expiresAt);
  if (Number.isNaN(end)) return undefined;
  const left = end - now.getTime();
  const days = lic.type === 'trial' ? EXPIRY_NOTICE_DAYS.trial : EXPIRY_NOTICE_DAYS.subscription;
  if (left <= 0 || left > days * DAY_MS) return undefined;
  const whole = Math.floor(left / DAY_MS);
  const when = whole === 0 ? 'in less than a day' : `in ${whole} day${whole === 1 ? '' : 's'}`;
  const what = lic.type === 'trial' ? 'Your trial' : `Your license ${outsideText(lic.id, [], 80)}`;
  return `${what} ends ${when} (${isoTime(end)}). Renew it in the LocalStack web app to keep Pro features.`;
}
