#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { ENV, EXIT, FORWARDED_SIGNALS } from '../core/constants.ts';
import { activate, detectCi, type Outcome } from './activate.ts';
import { renderBanner, renderSuccess } from './banner.ts';
import { ConfigError } from './errors.ts';
import { renderLog, writeLog, type Level, type LogFormat } from './log.ts';
import { reasonText } from './reasons.ts';

const USAGE = 'usage: docker-entrypoint COMMAND [ARG...]  (activates the Pro license, then runs COMMAND)';

function signalExit(signal: NodeJS.Signals): number {
  return EXIT.signalBase + constants.signals[signal];
}

/** Until the command runs, a signal ends the activation at once: exit 128 + n. */
function abortOnSignals(): () => void {
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, () => process.exit(signalExit(signal))] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** Until the configuration is read (or when it is invalid), LOG_FORMAT is taken as it stands. */
function rawFormat(env: NodeJS.ProcessEnv): LogFormat {
  return { format: env[ENV.logFormat]?.trim().toLowerCase() === 'json' ? 'json' : 'text', color: false };
}

function logger(fmt: LogFormat) {
  return (level: Level, message: string, extra?: Record<string, unknown>) => writeLog(renderLog(level, message, fmt, new Date(), extra));
}

function report(outcome: Outcome): void {
  const { config } = outcome;
  const emit = logger({ format: config.logFormat, color: config.color });
  if (config.logLicenseIssues) for (const warning of outcome.warnings) emit('warn', warning);
  if (outcome.activated) {
    emit('info', renderSuccess(outcome.claims.lic, outcome.mode === 'offline' ? outcome.licenseFile : undefined));
    return;
  }
  if (!config.logLicenseIssues) return;
  const reason = reasonText(outcome.reason);
  const banner = renderBanner(reason, { activatePro: config.activatePro, color: config.color && config.logFormat === 'text' });
  if (config.logFormat === 'json') emit('error', 'License activation failed', { code: outcome.reason.code, reason, banner });
  else writeLog(banner);
}

async function main(argv: string[]): Promise<number> {
  const early = logger(rawFormat(process.env));
  if (argv.length === 0) {
    early('error', `docker-entrypoint: no command given. ${USAGE}`, { code: 'usage' });
    return EXIT.usage;
  }
  const stopAborting = abortOnSignals();
  // Loaded while the activation request is in flight: a real license server is a round trip away.
  const supervisor = import('./supervisor.ts');
  // Detected once, sent with the activation and with every refresh of this container.
  const ci = await detectCi();
  const machineId = randomUUID();
  let outcome: Outcome;
  try {
    outcome = await activate({ env: process.env, isTTY: process.stderr.isTTY === true, ci, machineId });
  } catch (error) {
    if (error instanceof ConfigError) {
      early('error', `docker-entrypoint: ${error.message}`, { code: error.code, variable: error.variable });
      return EXIT.usage;
    }
    throw error;
  }
  report(outcome);
  if (!outcome.activated && outcome.config.activatePro) return EXIT.activationFailed;

  const env: Record<string, string | undefined> = { ...process.env, [ENV.proActivated]: outcome.activated ? '1' : '0', [ENV.licenseMode]: outcome.mode };
  if (outcome.activated) env[ENV.licenseFile] = outcome.licenseFile;
  else delete env[ENV.licenseFile];

  const { config } = outcome;
  const log = logger({ format: config.logFormat, color: config.color });
  const { supervise } = await supervisor;
  let stopRefresh = () => {};
  if (outcome.activated) {
    const { refreshOnce, scheduleRefresh } = await import('./refresh.ts');
    stopRefresh = scheduleRefresh(config.refreshIntervalMs, async () => {
      const result = await refreshOnce(config, process.env, outcome.credential.credential.value, ci, machineId);
      if (result.ok || config.logLicenseIssues) log(result.ok ? 'info' : 'warn', result.message);
    });
  }
  stopAborting();
  const [command, ...args] = argv;
  const result = await supervise({ command: command!, args, env, shutdownTimeoutMs: config.shutdownTimeoutMs });
  stopRefresh();
  if (result.error) log('error', `docker-entrypoint: ${result.error}`, { code: 'command.failed' });
  return result.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger(rawFormat(process.env))('error', `docker-entrypoint: internal error: ${(error as Error).stack ?? error}`, { code: 'internal' });
    process.exit(70);
  },
);
