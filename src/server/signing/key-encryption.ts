// The signing keys' private parts at rest in a shared database: AES-256-GCM under a key-encryption key (KEK)
// that lives outside the database (environment or a mounted file), so a dump or a read-only role sees no key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SERVER_EXIT } from '../constants.ts';
import { ServerConfigError } from '../errors.ts';

const VERSION = 'v1';
const MIN_SECRET_CHARS = 32;
export const KEK_ENV = 'LICENSE_SERVER_KEY_SECRET';
export const KEK_FILE_ENV = 'LICENSE_SERVER_KEY_SECRET_FILE';

const kekError = (message: string, cause?: unknown) => new ServerConfigError('server.key_secret', message, SERVER_EXIT.usage, { cause });

/** The KEK from LICENSE_SERVER_KEY_SECRET or the file LICENSE_SERVER_KEY_SECRET_FILE names (a high-entropy secret, ≥ 32 characters). */
export function keyEncryptionKey(env: NodeJS.ProcessEnv): Buffer {
  let secret = env[KEK_ENV];
  const file = env[KEK_FILE_ENV];
  if (!secret && file) {
    try {
      secret = readFileSync(file, 'utf8');
    } catch (cause) {
      throw kekError(`${KEK_FILE_ENV} names ${file}, which cannot be read (${(cause as NodeJS.ErrnoException).code}); mount the secret there`, cause);
    }
  }
  secret = secret?.trim();
  if (!secret) throw kekError(`with --database the signing keys live in the database, encrypted: set ${KEK_ENV} (e.g. openssl rand -base64 32) or ${KEK_FILE_ENV}, the same on every replica`);
  if (secret.length < MIN_SECRET_CHARS) throw kekError(`${KEK_ENV} is too short (${secret.length} characters); use at least ${MIN_SECRET_CHARS}, e.g. openssl rand -base64 32`);
  // HKDF turns any long secret (base64, hex or a passphrase file) into exactly 32 key bytes.
  return Buffer.from(hkdfSync('sha256', secret, 'pro-activation', 'signing-key-encryption v1', 32));
}

/** Seals a private key; the key id is authenticated with it, so a sealed value cannot be moved to another key's row. */
export function seal(plain: string, kek: Buffer, kid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(kid));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, data, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Opens a sealed value; a wrong KEK or a tampered value throws. */
export function open(sealed: string, kek: Buffer, kid: string): string {
  const [version, iv, data, tag] = sealed.split('.');
  if (version !== VERSION || !iv || !data || !tag) throw new Error('not a sealed key of a known format');
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(kid));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}
