#!/usr/bin/env node
import { constants } from 'node:os';
import { ENV } from '../core/constants.ts';
import type { Env } from '../core/env.ts';
import { loadJwks, type Jwks } from '../core/license.ts';
import { expiryNotice } from '../core/license-expiry.ts';
import { defaultTrustedKeysPath } from '../core/paths.ts';
import { activate, detectCi, type Activation, type Outcome, type RefreshResult } from './activate.ts';
import { renderBanner, renderSuccess } from './banner.ts';
import { commandLine, isHelpRequest, resolveDefaultCommand, USAGE } from './command-line.ts';
import { ConfigError, readConfig, type Config } from './config.ts';
import { DEFAULTS, EXIT, FORWARDED_SIGNALS } from './defaults.ts';
import { handOverPid1 } from './init.ts';
import { renderLog, writeLog, type Level, type LogFormat } from './log.ts';
import { reasonText } from './reasons.ts';
import { offlineExpiryNotice, offlineSuccessLine, scheduleOfflineExpiryNotices } from './offline-license.ts';
import { outsideText } from '../core/redact.ts';
import { isoTime } from '../core/iso-time.ts';

type Log = (level: Level, message: string, extra?: Record<string, unknown>) => void;

function signalExit(signal: NodeJS.Signals): number {
  return EXIT.signalBase + constants.signals[signal];
}

/** Until the configuration is read (or when it is invalid), LOG_FORMAT is taken as it stands. */
function rawFormat(env: Env): LogFormat {
  return { format: env[ENV.logFormat]?.trim().toLowerCase() === 'json' ? 'json' : 'text', color: false };
}

function logger(fmt: LogFormat): Log {
  return (level, message, extra) => writeLog(renderLog(level, message, fmt, new Date(), extra));
}

/** Until the command runs, a signal aborts the activation through its AbortSignal (as the budget does). */
function abortOnSignals(controller: AbortController): { received: () => NodeJS.Signals | undefined; stop: () => void } {
  let received: NodeJS.Signals | undefined;
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, () => {
    received ??= signal;
    controller.abort(new Error(`received ${signal}`));
  }] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return {
    received: () => received,
    stop: () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}

function report(outcome: Outcome, config: Config, log: Log, now: Date): void {
  if (config.logLicenseIssues) for (const warning of outcome.warnings) log('warn', warning);
  if (outcome.activated && outcome.mode === 'offline-license') {
    log('info', offlineSuccessLine(outcome.offline, outcome.licenseFile));
    const notice = offlineExpiryNotice(outcome.offline, now);
    if (notice && config.logLicenseIssues) log('warn', notice);
    return;
  }
  if (outcome.activated) {
    const lic = outcome.license.claims.lic;
    log('info', renderSuccess(lic, outcome.mode === 'offline' ? outcome.from : undefined));
    const notice = expiryNotice(lic, now);
    if (notice && config.logLicenseIssues) log('warn', notice);
    return;
  }
  if (!config.logLicenseIssues) return;
  const reason = reasonText(outcome.reason);
  const banner = renderBanner(reason, { activatePro: config.activatePro, color: config.color && config.logFormat === 'text' });
  if (config.logFormat === 'json') log('error', 'License activation failed', { code: outcome.reason.code, reason, banner });
  else writeLog(banner);
}

function refreshLine(result: RefreshResult): [Level, string] {
  if (result.ok) {
    const until = isoTime(result.license.claims.exp * 1000);
    return ['info', `License refreshed: ${outsideText(result.license.claims.lic.id, [], 80)} valid offline until ${until} (${result.licenseFile})`];
  }
  if (!result.refused) return ['warn', `license refresh failed: ${result.reason.detail}; the cached license stays in use`];
  return ['warn', `license refresh refused: ${reasonText(result.reason)}`];
}

async function runCommand(command: string[], env: Env, shutdownTimeoutMs: number, log: Log): Promise<number> {
  const { supervise } = await import('./supervisor.ts');
  const [file, ...args] = command;
  const result = await supervise({ command: file!, args, env, shutdownTimeoutMs });
  if (result.error) log('error', `docker-entrypoint: ${result.error}`, { code: 'command.failed' });
  return result.exitCode;
}

function loadKeys(config: Config): Jwks {
  try {
    return loadJwks(config.trustedKeys);
  } catch (cause) {
    // A missing or unreadable file is said as such: "invalid" would send the reader to check a file that is not there.
    const code = ((cause as { cause?: { code?: unknown } })?.cause)?.code;
    const why = code === 'ENOENT' ? 'names no file' : code === 'EACCES' ? 'names a file this user cannot read' : code === 'EISDIR' ? 'names a folder' : 'is not a JWKS file';
    throw new ConfigError(ENV.trustedKeys, `${ENV.trustedKeys}=${config.trustedKeys} ${why}: set it to the path of a JWKS file with the license server's public keys (its /.well-known/jwks.json)`, { cause });
  }
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const early = logger(rawFormat(env));
  if (argv.length === 0) {
    early('error', `docker-entrypoint: no command given. ${USAGE}`, { code: 'usage' });
    return EXIT.usage;
  }
  const pid1 = handOverPid1(argv, env);
  if (pid1) early('warn', pid1, { code: 'init.missing' });
  const asked = commandLine(argv);
  const command = resolveDefaultCommand(asked, env.PATH);
  if (isHelpRequest(asked)) {
    early('info', `${USAGE}. No license is needed for ${asked.slice(0, 2).join(' ')}.`);
    return runCommand(command, { ...env, [ENV.proActivated]: '0', [ENV.licenseMode]: 'none', [ENV.licenseFile]: undefined }, DEFAULTS.shutdownTimeoutS * 1000, early);
  }

  let config: Config;
  try {
    config = readConfig(env, { defaultTrustedKeys: defaultTrustedKeysPath(), isTTY: process.getBuiltinModule('node:tty').isatty(2) });
    loadKeys(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      early('error', `docker-entrypoint: ${error.message}`, { code: error.code, variable: error.variable });
      return EXIT.usage;
    }
    throw error;
  }
  const log = logger({ format: config.logFormat, color: config.color });

  const controller = new AbortController();
  const signals = abortOnSignals(controller);
  // Loaded while the activation request is in flight: a real license server is a round trip away.
  void import('./supervisor.ts');
  let activation: Activation;
  try {
    // The path, not the keys: a refresh after a signing-key rotation reads the updated file.
    activation = await activate({ config, keys: config.trustedKeys, env, ci: await detectCi(), signal: controller.signal });
  } catch (error) {
    const signal = signals.received();
    if (signal) return signalExit(signal);
    throw error;
  }
  const signal = signals.received();
  if (signal) return signalExit(signal);
  const { outcome } = activation;
  report(outcome, config, log, new Date());
  if (!outcome.activated && config.activatePro) return EXIT.activationFailed;

  const childEnv: Env = { ...env, ...activation.credentialEnv, [ENV.proActivated]: outcome.activated ? '1' : '0', [ENV.licenseMode]: outcome.mode, [ENV.licenseFile]: undefined };
  if (outcome.activated) childEnv[ENV.licenseFile] = outcome.licenseFile;
  let stopRefresh = () => {};
  if (outcome.activated && outcome.mode === 'offline-license') {
    if (config.logLicenseIssues) stopRefresh = scheduleOfflineExpiryNotices(outcome.offline, (line) => log('warn', line));
  } else if (outcome.activated) {
    const { scheduleRefresh } = await import('./refresh.ts');
    stopRefresh = scheduleRefresh(config.refreshIntervalMs, activation.refreshSoon, async () => {
      const result = await activation.refresh();
      const [level, line] = refreshLine(result);
      if (result.ok || config.logLicenseIssues) log(level, line);
      return { failed: !result.ok && !result.refused };
    });
  }
  signals.stop();
  try {
    return await runCommand(command, childEnv, config.shutdownTimeoutMs, log);
  } finally {
    stopRefresh();
  }
}

// Its own lines go straight to fd 2 (log.ts), a closed stderr (EPIPE) ignored there; the command writes to the inherited
// descriptors itself. Node's stdio streams, ~3 ms to make, are not made at all.

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger(rawFormat(process.env))('error', `docker-entrypoint: internal error: ${(error as Error)?.stack ?? error}`, { code: 'internal' });
    process.exit(EXIT.internal);
  },
);
