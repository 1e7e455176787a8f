import { CodedError } from '../core/errors.ts';

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
export class ServerConfigError extends CodedError {}
