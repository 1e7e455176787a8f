import { ENV } from '../core/constants.ts';
import { normalizeCredential, parseCredential, type Credential } from '../core/credentials.ts';
import { CredentialError } from '../core/errors.ts';
import type { Env } from './config.ts';
import { ActivationError } from './errors.ts';

export interface ResolvedCredential {
  credential: Credential;
  /** The variable it came from, for messages (never the value). */
  source: string;
}

export interface CiEnvironment {
  isCI: boolean;
  name: string | null;
}

type ReadFile = (path: string) => string;

/** One credential from a variable or its _FILE twin; both set is ambiguous. */
function fromVariable(env: Env, name: string, fileName: string, readFile: ReadFile): { value: string; source: string } | undefined {
  const value = normalizeCredential(env[name]);
  const file = normalizeCredential(env[fileName]);
  if (value && file) {
    throw new ActivationError('credentials.conflict', `both ${name} and ${fileName} are set; set only one of them`);
  }
  if (file) {
    let content: string;
    try {
      content = readFile(file);
    } catch (cause) {
      throw new ActivationError('credentials.file_unreadable',
        `${fileName} names ${file}, which cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}); check the secret is mounted and readable by this user`, { cause });
    }
    const fromFile = normalizeCredential(content);
    if (!fromFile) throw new ActivationError('credentials.file_unreadable', `${fileName} names ${file}, which is empty`);
    return { value: fromFile, source: fileName };
  }
  return value ? { value, source: name } : undefined;
}

/**
 * Every credential check that needs no network, in order: conflicts, unreadable files, missing,
 * malformed (checksum), a developer token in CI.
 */
export function resolveCredential(env: Env, ci: CiEnvironment, readFile: ReadFile): ResolvedCredential {
  const token = fromVariable(env, ENV.authToken, ENV.authTokenFile, readFile);
  const key = fromVariable(env, ENV.apiKey, ENV.apiKeyFile, readFile);
  if (token && key) {
    throw new ActivationError('credentials.conflict', `both an auth token (${token.source}) and an API key (${key.source}) are set; keep only ${ENV.authToken}`);
  }
  const chosen = token ?? key;
  if (!chosen) throw new ActivationError('credentials.missing', 'no credentials are set');
  let credential: Credential;
  try {
    credential = parseCredential(chosen.value);
  } catch (cause) {
    if (cause instanceof CredentialError) throw new ActivationError('credentials.malformed', `${chosen.source}: ${cause.message}`, { cause });
    throw cause;
  }
  if (credential.kind === 'legacy' && chosen.source.startsWith(ENV.authToken)) {
    throw new ActivationError('credentials.malformed', `${chosen.source} holds a legacy API key; auth tokens start with ls- or lsci-`);
  }
  if (credential.kind === 'developer' && ci.isCI) {
    throw new ActivationError('credentials.ci_token_required', `a developer auth token was used in a CI environment${ci.name ? ` (${ci.name})` : ''}`);
  }
  return { credential, source: chosen.source };
}
