import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH_TOKENS_URL, ENV } from '../core/constants.ts';
import { normalizeCredential, parseCredential } from '../core/credentials.ts';
import { CredentialError } from '../core/errors.ts';
import { makeFolders, writeAtomic } from '../core/files.ts';
import { CliError } from './errors.ts';
import { configDir } from './settings.ts';

type Env = Record<string, string | undefined>;

export const AUTH_FILE = 'auth.json';
const TOKEN_PAGE = AUTH_TOKENS_URL;

export function authFilePath(env: Env): string {
  return join(configDir(env), AUTH_FILE);
}

function readAuthFile(path: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8'));
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError('auth.file_corrupt', `${path} is not valid JSON; fix it or run: localstack auth clear-token`, { cause: error });
  }
}

/** Checks the token offline (form and checksum) before anything is written. */
export function validateToken(raw: string): string {
  const token = normalizeCredential(raw);
  if (!token) throw new CliError('auth.token_missing', 'the token is empty');
  try {
    const credential = parseCredential(token);
    if (credential.kind === 'legacy') throw new CliError('auth.token_legacy', 'that is a legacy API key; set-token takes an auth token (ls-… or lsci-…)');
  } catch (error) {
    if (error instanceof CredentialError) throw new CliError('auth.token_malformed', `the token is not valid: ${error.message}. Copy it again from ${TOKEN_PAGE} and run: localstack auth set-token <TOKEN>`, { cause: error });
    throw error;
  }
  return token;
}

/** Writes auth.json atomically: folder 0700, file 0600. */
export function saveToken(env: Env, token: string): string {
  const dir = configDir(env);
  makeFolders(dir, 0o700);
  chmodSync(dir, 0o700);
  const path = authFilePath(env);
  writeAtomic(path, `${JSON.stringify({ ...readAuthFile(path), [ENV.authToken]: token }, null, 2)}\n`);
  return path;
}

export function clearToken(env: Env): boolean {
  const path = authFilePath(env);
  const data = readAuthFile(path);
  if (!(ENV.authToken in data)) return false;
  delete data[ENV.authToken];
  if (Object.keys(data).length === 0) rmSync(path, { force: true });
  else writeAtomic(path, `${JSON.stringify(data, null, 2)}\n`);
  return true;
}

export type TokenSource = { token: string; from: 'environment' | 'file'; path?: string };

/** The environment wins over the file. */
export function findToken(env: Env): TokenSource | undefined {
  const fromEnv = normalizeCredential(env[ENV.authToken]);
  if (fromEnv) return { token: fromEnv, from: 'environment' };
  const path = authFilePath(env);
  const value = readAuthFile(path)[ENV.authToken];
  const token = typeof value === 'string' ? normalizeCredential(value) : undefined;
  return token ? { token, from: 'file', path } : undefined;
}
