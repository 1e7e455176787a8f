// The license server's own defaults and numbers, in one place (what other programs share lives in core/constants).
import { PRO_FEATURES } from '../core/constants.ts';

/** license-server defaults (section 7). */
export const SERVER_DEFAULTS = { host: '127.0.0.1', port: 8080, dataDir: './license-data', rateLimit: 60, bodyLimit: 64 * 1024 } as const;

/** A workspace without a license row has a trial this long, counted from its creation. */
export const TRIAL_DAYS = 14;
/** The Pro services each plan signs into a license (a trial, and an unknown plan, get all). */
export const PLAN_FEATURES: Record<string, readonly string[]> = {
  pro: PRO_FEATURES,
  ultimate: PRO_FEATURES,
  enterprise: PRO_FEATURES,
  starter: ['xray', 'appsync', 'cognito-idp'],
};

/** Bearer values whose parsed form and digests the activation route keeps (http/credential-memo.ts). */
export const CREDENTIAL_MEMO_ENTRIES = 10_000;

/** How long a write waits for a lock held by another program before answering 503. */
export const STORE_BUSY_BUDGET_MS = 1_000;
/** First and largest pause between two tries of a locked write; the event loop runs meanwhile. */
export const STORE_RETRY_FIRST_MS = 5;
export const STORE_RETRY_MAX_MS = 100;
/** Retry-After for a locked store (soon free) and for a store that cannot write (needs an operator). */
export const RETRY_AFTER_BUSY_S = 1;
export const RETRY_AFTER_FAILED_S = 30;
/** Retry-After while the database server cannot be reached (restart, failover, no free connection). */
export const RETRY_AFTER_UNAVAILABLE_S = 2;

/** On SIGTERM, requests in flight get this long to finish before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** PostgreSQL: connections per replica, the wait for one (or for a connect), and the longest a statement may run. */
export const PG_POOL_MAX = 10;
export const PG_CONNECT_TIMEOUT_MS = 2_000;
export const PG_STATEMENT_TIMEOUT_MS = 5_000;
/** A replica that stalls inside a transaction (holding the write lock) is cut off by PostgreSQL after this. */
export const PG_IDLE_IN_TX_TIMEOUT_MS = 10_000;
/** How long a starting replica waits for PostgreSQL to accept connections before giving up. */
export const PG_STARTUP_WAIT_MS = 15_000;
/** Lock key of pg_advisory_xact_lock that serialises account writes across replicas, as SQLite's write lock does. */
export const PG_WRITE_LOCK = 0x7072_6f77;
/** Rate-limit counters of windows older than this are deleted, once per window by some replica. */
export const RATE_WINDOW_MS = 60_000;

/**
 * SQLite: how often the server re-reads the account version for changes made by another program (sqlite3 on a live
 * database); its own writes (API, console, seed, alerts) are seen by the very next activation.
 */
export const ACCOUNT_VERSION_POLL_MS = 250;

/** How often the checkpointer thread folds the WAL into the database file. */
export const WAL_CHECKPOINT_INTERVAL_MS = 500;
/** WAL pages (4 KiB) after which the writer checkpoints itself, should the checkpointer thread fall behind. */
export const WAL_FALLBACK_CHECKPOINT_PAGES = 20_000;

/** The largest seat count accepted: far below what SQLite and JavaScript numbers hold exactly. */
export const MAX_SEATS = 1_000_000;
/** Activations listed by the admin API, newest first. */
export const ACTIVATIONS_LISTED = 100;

/** Start-up exit codes (sysexits): bad arguments, bad data, a service unavailable, a folder that cannot be written. */
export const SERVER_EXIT = { usage: 64, data: 65, unavailable: 69, cannotWrite: 73, internal: 70 } as const;

/** Secret scanning alerts (issue 19): GitHub's partner programme sends batches; these bound one alert and its sender. */
export const SECRET_SCANNING = {
  /** Largest alert body; GitHub sends small batches. */
  bodyBytes: 64 * 1024,
  tokensPerAlert: 100,
  /** Alerts per client address per minute, counted before the signature is checked. */
  alertsPerMinute: 120,
  /** GitHub's key URL allows 60 unauthenticated reads an hour: one refresh a minute at most, whatever ids arrive. */
  keysRefreshMinMs: 60_000,
  keysFetchTimeoutMs: 5_000,
  keysDocumentBytes: 256 * 1024,
  /** The place a token was found, as stored and shown: host and path, bounded. */
  whereChars: 120,
  /** Alerts listed by the admin API; leak events shown per console section. */
  alertsListed: 100,
  eventsShown: 20,
} as const;

/** CI ID tokens (OIDC): the issuers trusted without a flag, and how their keys are fetched and their times checked. */
export const OIDC = {
  builtInIssuers: ['https://token.actions.githubusercontent.com', 'https://gitlab.com'],
  /** Allowed clock difference with the issuer, for exp, nbf and iat. */
  skewS: 60,
  algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
  /** An unknown kid refetches the issuer's keys at most once per this (a key rotation is seen within it). */
  jwksCooldownMs: 5_000,
  /** Keys are refetched at least this often even without an unknown kid (a retired key stops verifying). */
  jwksMaxAgeMs: 10 * 60_000,
  fetchTimeoutMs: 5_000,
  /** A failed discovery is tried again after this, not at every request. */
  discoveryRetryMs: 5_000,
  documentLimitChars: 64 * 1024,
  maxTokenChars: 16 * 1024,
  retryAfterS: 5,
  /** Used ID tokens (jti) are forgotten after their exp, swept at most this often. */
  sweepIntervalMs: 60_000,
} as const;
