import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Env } from '../core/env.ts';
import { INITS } from './defaults.ts';

/** The first init (tini, dumb-init, catatonit) on PATH that can be run. */
export function findInit(env: Env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of INITS) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // Not here.
      }
    }
  }
  return undefined;
}

/**
 * As PID 1, orphaned processes are re-parented to us, and Node cannot reap them (it waits only for its
 * own children). So PID 1 is handed to an init that reaps, with this entrypoint as its child: the
 * process image is replaced and this function does not return. Without an init, a warning to print.
 */
export function handOverPid1(argv: string[], env: NodeJS.ProcessEnv, pid = process.pid): string | undefined {
  if (pid !== 1) return undefined;
  const init = findInit(env);
  if (!init) {
    return `docker-entrypoint runs as PID 1 without an init: orphaned processes will not be reaped. Run the container with --init, or install tini in the image (${INITS.join(', ')} are used when found on PATH).`;
  }
  process.execve!(init, [init, '--', process.execPath, ...process.execArgv, process.argv[1]!, ...argv], env);
  return undefined;
}
