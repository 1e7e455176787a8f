// V8's toISOString asks ICU for the host's time zone (loading its zone data: ~1 MiB resident for the
// container's whole life) though its answer is UTC; the UTC getters need none of it.

/** The same string as `Date.prototype.toISOString`, without the time-zone lookup; throws the same RangeError. */
export function isoTime(at: Date | number): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  const year = d.getUTCFullYear();
  // Years beyond four digits (±YYYYYY) and an invalid date (its RangeError): toISOString's own answer.
  if (!(year >= 0 && year <= 9999)) return d.toISOString();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`;
}
