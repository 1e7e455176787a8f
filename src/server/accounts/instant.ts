import { fullFormats } from 'ajv-formats/dist/formats.js';

const rfc3339 = fullFormats['date-time'] as { validate: (value: string) => boolean };

/**
 * An RFC 3339 time this server can store and compare: a real calendar day (no 30 February), no leap
 * second (Date.parse refuses 23:59:60, so such a time would be silently ignored later), four-digit year.
 */
export function isComparableInstant(value: string): boolean {
  return value.length <= 40 && rfc3339.validate(value) && !/:60(?:[.Zz+-]|$)/.test(value) && !Number.isNaN(Date.parse(value));
}
