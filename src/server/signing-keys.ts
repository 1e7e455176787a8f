import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { LICENSE_ALG } from '../core/constants.ts';
import { writeAtomic } from '../core/files.ts';
import type { Jwks } from '../core/license.ts';
import { ServerConfigError } from './errors.ts';

export const KEY_FILE = 'signing-keys.json';
/** The public keys alone, for images and compose setups to pin (LICENSE_TRUSTED_KEYS). */
export const PUBLIC_JWKS = 'public/jwks.json';

interface KeyFile {
  current: JWK & { kid: string };
  /** Public halves of rotated keys, still trusted so that issued licenses keep verifying. */
  previous: (JWK & { kid: string })[];
}

export interface SigningKeys {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  jwks: Jwks;
}

async function newKey(): Promise<JWK & { kid: string }> {
  const { privateKey } = await generateKeyPair(LICENSE_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
  return { ...jwk, kid, alg: LICENSE_ALG, use: 'sig' };
}

function publicHalf({ d: _d, ...pub }: JWK & { kid: string }): JWK & { kid: string } {
  return pub;
}

function writeKeyFile(dataDir: string, file: KeyFile): void {
  writeAtomic(join(dataDir, KEY_FILE), JSON.stringify(file, null, 2), 0o600);
}

function writePublicJwks(dataDir: string, jwks: Jwks): void {
  mkdirSync(join(dataDir, 'public'), { recursive: true, mode: 0o755 });
  writeAtomic(join(dataDir, PUBLIC_JWKS), `${JSON.stringify(jwks, null, 2)}\n`, 0o644);
}

async function materialise(dataDir: string, file: KeyFile): Promise<SigningKeys> {
  const jwks = { keys: [publicHalf(file.current), ...file.previous] };
  writePublicJwks(dataDir, jwks);
  return {
    kid: file.current.kid,
    privateKey: await importJWK(file.current, LICENSE_ALG),
    jwks,
  };
}

/** Loads the signing key from the data folder, generating it (mode 0600) on first start. */
export async function loadSigningKeys(dataDir: string): Promise<SigningKeys> {
  const path = join(dataDir, KEY_FILE);
  if (!existsSync(path)) {
    const file: KeyFile = { current: await newKey(), previous: [] };
    writeKeyFile(dataDir, file);
    return materialise(dataDir, file);
  }
  try {
    return await materialise(dataDir, JSON.parse(readFileSync(path, 'utf8')) as KeyFile);
  } catch (cause) {
    throw new ServerConfigError('server.signing_key', `the signing key file ${path} is unreadable or corrupt; restore it from backup (deleting it invalidates every issued license)`, { cause });
  }
}

/** Replaces the signing key; the old public key stays in the JWKS. */
export async function rotateSigningKey(dataDir: string): Promise<SigningKeys> {
  const path = join(dataDir, KEY_FILE);
  const file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  const next: KeyFile = { current: await newKey(), previous: [publicHalf(file.current), ...file.previous] };
  writeKeyFile(dataDir, next);
  return materialise(dataDir, next);
}
