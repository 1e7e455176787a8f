import { constants } from 'node:os';
import { EXIT, FORWARDED_SIGNALS } from './defaults.ts';
import type { Env } from '../core/env.ts';

// child_process itself: execa (270 KB, ~10 ms of every start) forwards no signals, and this is all of a supervisor.
const { spawn } = process.getBuiltinModule('node:child_process');

export interface SuperviseOptions {
  command: string;
  args: string[];
  env: Env;
  shutdownTimeoutMs: number;
}

/** The shell's convention: 128 + n for a signal, 126/127 when the command cannot be run. */
export function exitCodeOf(result: { exitCode?: number | null; signal?: string | null; code?: string }): number {
  if (result.signal) return EXIT.signalBase + (constants.signals[result.signal as keyof typeof constants.signals] ?? 0);
  if (typeof result.exitCode === 'number') return result.exitCode;
  if (result.code === 'ENOENT') return EXIT.notFound;
  // EACCES, ENOEXEC, EISDIR and the rest: it exists but cannot be run.
  return EXIT.notExecutable;
}

/**
 * Runs the command with inherited stdio, forwards each signal once, sends SIGKILL `shutdownTimeoutMs`
 * after a forwarded SIGTERM, and resolves with the exit code to mirror.
 */
export function supervise(options: SuperviseOptions): Promise<{ exitCode: number; error?: string }> {
  // Its own process group: a signal to our whole group then reaches it once, through us, not twice.
  const child = spawn(options.command, options.args, { stdio: 'inherit', env: options.env, detached: true });
  let forceKill: NodeJS.Timeout | undefined;
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    if (signal === 'SIGTERM' && !forceKill) {
      forceKill = setTimeout(() => child.kill('SIGKILL'), Math.round(options.shutdownTimeoutMs));
    }
  };
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise<{ exitCode: number; error?: string }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only when it could not be started (spawn's ENOENT, EACCES…): a running child's kill() failing is moot.
      if (child.pid === undefined) resolve({ exitCode: exitCodeOf({ code: error.code }), error: `${options.command}: ${error.code ?? error.message}` });
    });
    child.once('exit', (exitCode, signal) => resolve({ exitCode: exitCodeOf({ exitCode, signal }) }));
  }).finally(() => {
    clearTimeout(forceKill);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  });
}
