import { CodedError } from '../core/errors.ts';

/** An invalid configuration value: exit 64 with one line naming the variable. */
export class ConfigError extends CodedError {
  readonly variable: string;
  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super('config.invalid', message, options);
    this.variable = variable;
  }
}

/** Why activation did not succeed; `code` selects the banner's reason. */
export class ActivationError extends CodedError {}
