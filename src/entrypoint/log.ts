import { maskSecrets, printable } from '../core/redact.ts';
import { isoTime } from '../core/iso-time.ts';

const { writeSync } = process.getBuiltinModule('node:fs');

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
  if (fmt.format === 'json') return printable(JSON.stringify({ time: isoTime(now), level, message, ...extra }));
  const text = printable(message);
  if (level === 'warn') return fmt.color ? `${YELLOW}Warning: ${text}${RESET}` : `Warning: ${text}`;
  return text;
}

/** The only place the entrypoint writes its own lines; a credential-shaped word never gets out whole. */
export function writeLog(line: string): void {
  const bytes = Buffer.from(`${maskSecrets(line)}\n`);
  let written = 0;
  try {
    // Straight to fd 2: Node's stderr stream costs ~3 ms of every start to set up, for a few lines.
    while (written < bytes.length) written += writeSync(2, bytes, written);
  } catch (error) {
    // A non-blocking pipe that is full: the stream queues the rest. Closed (EPIPE): a line lost is no reason to stop.
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => {});
    process.stderr.write(bytes.subarray(written));
  }
}
