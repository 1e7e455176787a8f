import { maskSecrets, printable } from '../core/redact.ts';

export type Level = 'info' | 'warn' | 'error';

export interface LogFormat {
  format: 'text' | 'json';
  color: boolean;
}

const YELLOW = '\u001b[33m';
const RESET = '\u001b[0m';

/** Renders one log record: plain text, or one JSON object per line (section 6). */
export function renderLog(level: Level, message: string, fmt: LogFormat, now: Date, extra: Record<string, unknown> = {}): string {
  // Values from outside (paths, variables) reach messages: made printable here, before this program's own colours.
  if (fmt.format === 'json') return printable(JSON.stringify({ time: now.toISOString(), level, message, ...extra }));
  const text = printable(message);
  if (level === 'warn') return fmt.color ? `${YELLOW}Warning: ${text}${RESET}` : `Warning: ${text}`;
  return text;
}

/** The only place the entrypoint writes its own lines; a credential-shaped word never gets out whole. */
export function writeLog(line: string): void {
  try {
    process.stderr.write(`${maskSecrets(line)}\n`);
  } catch {
    // stderr closed (EPIPE): a line lost is no reason to stop supervising the command.
  }
}
