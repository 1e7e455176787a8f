import { DEFAULT_COMMAND, HELP_FLAGS } from './defaults.ts';

export const USAGE = 'usage: docker-entrypoint [COMMAND] [ARG...]  (activates the Pro license, then runs COMMAND; arguments starting with - go to pro-emulator)';

/** Section 10: a first argument starting with `-` is handed to the default command. */
export function commandLine(argv: string[]): string[] {
  return argv.length > 0 && argv[0]!.startsWith('-') ? [DEFAULT_COMMAND, ...argv] : argv;
}

/** `CMD --help` / `CMD --version`: a question about the command, which needs no license. */
export function isHelpRequest(command: string[]): boolean {
  return command.length >= 2 && (HELP_FLAGS as readonly string[]).includes(command[1]!);
}
