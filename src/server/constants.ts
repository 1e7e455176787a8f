// The license server's own numbers, in one place (the contract's defaults live in core/constants).

/** How long a write waits for a lock held by another program before answering 503. */
export const STORE_BUSY_BUDGET_MS = 1_000;
/** First and largest pause between two tries of a locked write; the event loop runs meanwhile. */
export const STORE_RETRY_FIRST_MS = 5;
export const STORE_RETRY_MAX_MS = 100;
/** Retry-After for a locked store (soon free) and for a store that cannot write (needs an operator). */
export const RETRY_AFTER_BUSY_S = 1;
export const RETRY_AFTER_FAILED_S = 30;

/** The largest seat count accepted: far below what SQLite and JavaScript numbers hold exactly. */
export const MAX_SEATS = 1_000_000;
/** Activations listed by the admin API, newest first. */
export const ACTIVATIONS_LISTED = 100;

/** Start-up exit codes (sysexits): bad arguments, bad data, a service unavailable, a folder that cannot be written. */
export const SERVER_EXIT = { usage: 64, data: 65, unavailable: 69, cannotWrite: 73, internal: 70 } as const;
