import type { CiEnvironment } from './activation-body.ts';
import { ENV, LIMITS } from './constants.ts';
import { normalizeCredential, parseCredential, type Credential } from './credentials.ts';
import { CredentialError } from './errors.ts';
import type { Env } from './env.ts';
import { fileErrorCode, readBounded } from './files.ts';
import type { Reason } from './reason.ts';

export interface ResolvedCredential {
  credential: Credential;
  /** The variable it came from, for messages (never the value). */
  source: string;
}

export type CredentialResult = { ok: true; resolved: ResolvedCredential } | { ok: false; reason: Reason };

export type ReadFile = (path: string) => string;

/** A _FILE secret is a few dozen bytes: read at most LIMITS.credentialFileBytes. */
export const readSecretFile: ReadFile = (path) => readBounded(path, LIMITS.credentialFileBytes);

type Found = { value: string; source: string } | Reason | undefined;

const isReason = (x: Found): x is Reason => x !== undefined && 'code' in x;

/** One credential from a variable or its _FILE twin; both set is ambiguous. */
function fromVariable(env: Env, name: string, fileName: string, readFile: ReadFile): Found {
  const value = normalizeCredential(env[name]);
  const file = normalizeCredential(env[fileName]);
  if (value && file) return { code: 'credentials.conflict', detail: `both ${name} and ${fileName} are set` };
  if (!file) return value ? { value, source: name } : undefined;
  let content: string;
  try {
    content = readFile(file);
  } catch (cause) {
    return {
      code: 'credentials.file_unreadable',
      detail: `${fileName} names ${file}, which cannot be read (${fileErrorCode(cause)})`,
    };
  }
  const fromFile = normalizeCredential(content);
  if (!fromFile) return { code: 'credentials.file_unreadable', detail: `${fileName} names ${file}, which is empty` };
  return { value: fromFile, source: fileName };
}

/**
 * Every credential check that needs no network, in order: conflicts, unreadable files, missing,
 * malformed (checksum), a developer token in CI. Never throws; a problem is a Reason.
 */
export function resolveCredential(env: Env, ci: CiEnvironment = { isCI: false, name: null }, readFile: ReadFile = readSecretFile): CredentialResult {
  const token = fromVariable(env, ENV.authToken, ENV.authTokenFile, readFile);
  if (isReason(token)) return { ok: false, reason: token };
  const key = fromVariable(env, ENV.apiKey, ENV.apiKeyFile, readFile);
  if (isReason(key)) return { ok: false, reason: key };
  if (token && key) {
    return { ok: false, reason: { code: 'credentials.conflict', detail: `both an auth token (${token.source}) and an API key (${key.source}) are set` } };
  }
  const chosen = token ?? key;
  if (!chosen) return { ok: false, reason: { code: 'credentials.missing', detail: 'no credentials are set' } };
  let credential: Credential;
  try {
    credential = parseCredential(chosen.value);
  } catch (cause) {
    if (cause instanceof CredentialError) return { ok: false, reason: { code: 'credentials.malformed', detail: `${chosen.source}: ${cause.message}` } };
    throw cause;
  }
  if (credential.kind === 'legacy' && chosen.source.startsWith(ENV.authToken)) {
    return { ok: false, reason: { code: 'credentials.malformed', detail: `${chosen.source} holds a legacy API key; auth tokens start with ls- or lsci-` } };
  }
  if (credential.kind === 'developer' && ci.isCI) {
    return { ok: false, reason: { code: 'credentials.ci_token_required', detail: `a developer auth token was used in a CI environment${ci.name ? ` (${ci.name})` : ''}` } };
  }
  return { ok: true, resolved: { credential, source: chosen.source } };
}
