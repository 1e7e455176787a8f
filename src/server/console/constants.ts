/** The console's defaults in one place. */
export const CONSOLE = {
  sessionCookie: 'console_session',
  csrfCookie: 'console_csrf',
  /** Absolute lifetime of a signed-in session. */
  sessionHours: 12,
  invitationHours: 72,
  passwordMin: 10,
  passwordMax: 200,
  /** Sign-in and sign-up attempts per minute, per e-mail address and per client address. */
  signInPerEmail: 10,
  signInPerClient: 30,
  /** Activations read to show recent activations and last-use times. */
  recentActivations: 500,
  myActivations: 10,
  assetsPrefix: '/console/assets',
} as const;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** When a session or an invitation made now stops working. */
export const hoursFrom = (now: Date, hours: number): string => new Date(now.getTime() + hours * HOUR_MS).toISOString();

/** scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, ~60 ms a hash on one core). */
export const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32, saltLength: 16, maxmem: 64 * 1024 * 1024 } as const;
