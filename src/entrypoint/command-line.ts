import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../core/paths.ts';
import { DEFAULT_COMMAND, HELP_FLAGS } from './defaults.ts';

export const USAGE = 'usage: docker-entrypoint [COMMAND] [ARG...]  (activates the Pro license, then runs COMMAND; arguments starting with - go to pro-emulator)';

/** Section 10: a first argument starting with `-` is handed to the default command. */
export function commandLine(argv: string[]): string[] {
  return argv.length > 0 && argv[0]!.startsWith('-') ? [DEFAULT_COMMAND, ...argv] : argv;
}

/** Whether an executable of that name is on PATH. */
function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || '.', name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The image has pro-emulator on PATH; a clone or an npm install has it beside this program: run that one there,
 * so `npx docker-entrypoint --help` and the host quick start work without `npm link`.
 */
export function resolveDefaultCommand(command: string[], path: string | undefined, found = onPath): string[] {
  if (command[0] !== DEFAULT_COMMAND || found(DEFAULT_COMMAND, path)) return command;
  return [process.execPath, join(packageRoot(), 'dist', `${DEFAULT_COMMAND}.js`), ...command.slice(1)];
}

/** `CMD --help` / `CMD --version`: a question about the command, which needs no license. */
export function isHelpRequest(command: string[]): boolean {
  return command.length >= 2 && (HELP_FLAGS as readonly string[]).includes(command[1]!);
}
