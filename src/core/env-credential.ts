import { readFileSync } from 'node:fs';
import { ENV } from './constants.ts';
import { normalizeCredential } from './credentials.ts';

type Env = Record<string, string | undefined>;

/** The credential a process was started with, for binding checks; undefined when none or unreadable. */
export function credentialFromEnv(env: Env): string | undefined {
  for (const [name, file] of [[ENV.authToken, ENV.authTokenFile], [ENV.apiKey, ENV.apiKeyFile]] as const) {
    const value = normalizeCredential(env[name]);
    if (value) return value;
    const path = normalizeCredential(env[file]);
    if (path) {
      try {
        return normalizeCredential(readFileSync(path, 'utf8'));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
