import { constants } from 'node:os';
import { execa } from 'execa';
import { EXIT, FORWARDED_SIGNALS } from './defaults.ts';
import type { Env } from '../core/env.ts';

export interface SuperviseOptions {
  command: string;
  args: string[];
  env: Env;
  shutdownTimeoutMs: number;
}

/** The shell's convention: 128 + n for a signal, 126/127 when the command cannot be run. */
export function exitCodeOf(result: { exitCode?: number; signal?: string; code?: string }): number {
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
export async function supervise(options: SuperviseOptions): Promise<{ exitCode: number; error?: string }> {
  const subprocess = execa(options.command, options.args, {
    stdio: 'inherit',
    env: options.env,
    extendEnv: false,
    reject: false,
    // Its own process group: a signal to our whole group then reaches it once, through us, not twice.
    detached: true,
    forceKillAfterDelay: Math.round(options.shutdownTimeoutMs),
    killSignal: 'SIGTERM',
  });
  const forward = (signal: NodeJS.Signals) => () => {
    subprocess.kill(signal);
  };
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const result = await subprocess;
    const code = (result as { code?: string }).code;
    const exitCode = exitCodeOf({ exitCode: result.exitCode, signal: result.signal, code });
    const error = result.failed && result.exitCode === undefined && !result.signal ? `${options.command}: ${code ?? result.shortMessage}` : undefined;
    return { exitCode, error };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
