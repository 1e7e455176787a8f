// The entrypoint's own defaults and policy numbers (section 3 and 4), in one place.

export const DEFAULTS = {
  apiEndpoint: 'https://api.localstack.cloud/v1',
  cacheDir: '/var/lib/localstack/cache',
  activationTimeoutS: 10,
  shutdownTimeoutS: 5,
  refreshIntervalS: 12 * 3600,
  logFormat: 'text',
} as const;

/** Section 4's retry policy. */
export const RETRY = {
  attempts: 4,
  firstDelayMs: 100,
  factor: 2,
  /** A silent server may hold one attempt for at most this share of what is left, so another still fits. */
  attemptShare: 0.5,
  /** ...but never less than this per attempt. */
  minAttemptMs: 1_000,
} as const;

/** After an offline start or a failed refresh, the next one comes this soon, then twice as late each time (never later than the interval). */
export const REFRESH_SOON_MS = 60_000;
/** ±10 %: containers started together do not refresh together. */
export const REFRESH_JITTER = 0.1;

/** The activation answer: a license is ~1 KiB; anything past this is not a license server talking. */
export const ANSWER_LIMIT_BYTES = 64 * 1024;

/** A lock whose holder stopped updating it this long ago (a killed container) is taken over. */
export const LOCK_STALE_MS = 10_000;
/** Waiting for a lock another container holds: long enough to outlast a stale one (10 s), no longer. */
export const LOCK_WAIT_MS = 15_000;
/** A lock folder dated further ahead than this is stale too (proper-lockfile only ages locks from the past). */
export const LOCK_FUTURE_SKEW_MS = 5_000;
/** The private temporary folders a license goes to when the cache cannot be written (`$TMPDIR/localstack-license-*`). */
export const FALLBACK_PREFIX = 'localstack-license-';
/** A `license.json.*.tmp` older than this was left by a writer that died between write and rename. */
export const STALE_TEMP_MS = 60_000;

export const EXIT = {
  activationFailed: 55,
  usage: 64,
  internal: 70,
  notExecutable: 126,
  notFound: 127,
  signalBase: 128,
} as const;

export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** The image's default command (section 10): a first argument starting with `-` is handed to it. */
export const DEFAULT_COMMAND = 'pro-emulator';
export const HELP_FLAGS = ['--help', '-h', '--version', '-V', '-v'] as const;

/** Inits that reap orphans, tried in order when the entrypoint finds itself PID 1. */
export const INITS = ['tini', 'dumb-init', 'catatonit'] as const;
