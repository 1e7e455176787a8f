import { CodedError } from '../core/errors.ts';
import { RETRY_AFTER_BUSY_S, RETRY_AFTER_FAILED_S, RETRY_AFTER_UNAVAILABLE_S } from './constants.ts';

/** An error that is also an HTTP answer: status, stable code, message (section 4's error shape). */
export class ApiError extends CodedError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
  }
}

export class SeedError extends CodedError {}
export class ServerConfigError extends CodedError {
  /** The process's exit code when this stops the start-up. */
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

export type StoreErrorCode = 'store.busy' | 'store.full' | 'store.read_only' | 'store.io' | 'store.corrupt' | 'store.unavailable' | 'store.schema';

/** The store could not do what was asked; nothing of it was stored. `cause` keeps the engine's own error. */
export class StoreError extends CodedError {
  declare readonly code: StoreErrorCode;
  /** A lock that will be released soon, as opposed to a store that needs an operator. */
  get transient(): boolean {
    return this.code === 'store.busy' || this.code === 'store.unavailable';
  }
  get retryAfterS(): number {
    // A database server that restarts or is out of connections is back within seconds, not at an operator's pace.
    if (this.code === 'store.unavailable') return RETRY_AFTER_UNAVAILABLE_S;
    return this.transient ? RETRY_AFTER_BUSY_S : RETRY_AFTER_FAILED_S;
  }
}

const FS_CODES: Record<string, [StoreErrorCode, string]> = {
  ENOSPC: ['store.full', 'the disk is full'],
  EDQUOT: ['store.full', 'the disk quota is used up'],
  EROFS: ['store.read_only', 'the data folder is on a read-only file system'],
  EACCES: ['store.read_only', 'the data folder cannot be written (permission denied)'],
  EPERM: ['store.read_only', 'the data folder cannot be written (operation not permitted)'],
  EIO: ['store.io', 'the disk failed a read or write'],
};

/** A file-system error while saving state, as a StoreError that names the real cause; anything else unchanged. */
export function fileStoreError(error: unknown, what: string): unknown {
  const known = FS_CODES[(error as NodeJS.ErrnoException).code ?? ''];
  return known ? new StoreError(known[0], `${what}: ${known[1]}`, { cause: error }) : error;
}
