import { CodedError } from '../core/errors.ts';

/** A failure the CLI reports in one line and exits 1 for. */
export class CliError extends CodedError {}
