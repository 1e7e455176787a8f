/** Base of every error the project throws: a stable `code` for programs, the cause kept for people. */
export class CodedError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class CredentialError extends CodedError {}
export class LicenseError extends CodedError {}
