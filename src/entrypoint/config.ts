import envVar from 'env-var';
import { ENV } from '../core/constants.ts';
import type { Env } from '../core/env.ts';
import { CodedError } from '../core/errors.ts';
import { outsideText, withoutUserinfo } from '../core/redact.ts';
import { DEFAULTS } from './defaults.ts';

/** An invalid configuration value: exit 64 with one line naming the variable. */
export class ConfigError extends CodedError {
  readonly variable: string;
  constructor(variable: string, message: string, options?: { cause?: unknown }) {
    super('config.invalid', message, options);
    this.variable = variable;
  }
}

export interface Config {
  activatePro: boolean;
  logLicenseIssues: boolean;
  apiEndpoint: string;
  cacheDir: string;
  trustedKeys: string;
  activationTimeoutMs: number;
  shutdownTimeoutMs: number;
  refreshIntervalMs: number;
  logFormat: 'text' | 'json';
  /** Colour only on a terminal, and never with NO_COLOR. */
  color: boolean;
}

// The contract makes these case-insensitive (ACTIVATE_PRO=True, LOG_FORMAT=JSON).
const CASELESS: string[] = [ENV.activatePro, ENV.logLicenseIssues, ENV.logFormat];

/** env-var does not treat '' as unset nor 'True' as true; the contract wants both. */
function cleaned(env: Env): Env {
  const out: Env = {};
  for (const [key, raw] of Object.entries(env)) {
    const value = raw?.trim();
    if (value) out[key] = CASELESS.includes(key) ? value.toLowerCase() : value;
  }
  return out;
}

function read<T>(variable: string, accepts: string, env: Env, get: () => T): T {
  try {
    return get();
  } catch (cause) {
    throw new ConfigError(variable, `${variable}=${outsideText(withoutUserinfo(env[variable] ?? ''), [], 80)} is invalid: ${accepts}`, { cause });
  }
}

/** Node's timers hold at most 2^31 - 1 ms; a longer one fires at once (TimeoutOverflowWarning). */
const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Reads section 3's variables; an invalid value throws a ConfigError naming the variable (exit 64). */
export function readConfig(env: Env, context: { defaultTrustedKeys: string; isTTY: boolean }): Config {
  const e = cleaned(env);
  const v = envVar.from(e);
  const seconds = (name: string, fallback: number, zeroAllowed: boolean) =>
    read(name, `use a number of seconds${zeroAllowed ? '' : ' greater than 0'}, at most ${MAX_SECONDS} (default ${fallback})`, env, () => {
      const n = v.get(name).default(String(fallback)).asFloat();
      if (!Number.isFinite(n) || n < 0 || n > MAX_SECONDS || (n === 0 && !zeroAllowed)) throw new RangeError('out of range');
      return n * 1000;
    });
  const url = read(ENV.apiEndpoint, 'use an http(s) URL such as https://api.localstack.cloud/v1', env, () => {
    const value = v.get(ENV.apiEndpoint).default(DEFAULTS.apiEndpoint).asUrlString();
    if (!/^https?:\/\//i.test(value)) throw new TypeError('not http(s)');
    // The credential goes in the Authorization header; a user:password in the URL is never sent, stored or shown.
    return withoutUserinfo(value).replace(/\/+$/, '');
  });
  return {
    activatePro: read(ENV.activatePro, 'use 1/true (exit when activation fails) or 0/false (start without Pro)', env,
      () => v.get(ENV.activatePro).default('1').asBool()),
    logLicenseIssues: read(ENV.logLicenseIssues, 'use 1/true or 0/false', env, () => v.get(ENV.logLicenseIssues).default('1').asBool()),
    apiEndpoint: url,
    cacheDir: e[ENV.cacheDir] ?? DEFAULTS.cacheDir,
    trustedKeys: e[ENV.trustedKeys] ?? context.defaultTrustedKeys,
    activationTimeoutMs: seconds(ENV.activationTimeout, DEFAULTS.activationTimeoutS, false),
    shutdownTimeoutMs: seconds(ENV.shutdownTimeout, DEFAULTS.shutdownTimeoutS, true),
    refreshIntervalMs: seconds(ENV.refreshInterval, DEFAULTS.refreshIntervalS, false),
    logFormat: read(ENV.logFormat, 'use text or json', env, () => v.get(ENV.logFormat).default(DEFAULTS.logFormat).asEnum(['text', 'json'])),
    color: context.isTTY && !e[ENV.noColor],
  };
}
