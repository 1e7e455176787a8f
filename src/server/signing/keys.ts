import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LICENSE_ALG, LICENSE_TYP, OFFLINE_LICENSE_TYP } from '../../core/constants.ts';
import type { OfflineLicenseClaims } from '../../core/offline-license.ts';
import { makeFolders, writeAtomic } from '../../core/files.ts';
import type { Jwks, LicenseClaims } from '../../core/license.ts';
import { SERVER_EXIT } from '../constants.ts';
import { BackToBack } from './back-to-back.ts';
import { fileStoreError, ServerConfigError } from '../errors.ts';

export const KEY_FILE = 'signing-keys.json';
/** The public keys alone, for images and compose setups to pin (LICENSE_TRUSTED_KEYS). */
export const PUBLIC_JWKS = 'public/jwks.json';

export type Jwk = { kty: string; crv: string; x: string; d?: string; kid: string; alg?: string; use?: string };

interface KeyFile {
  current: Jwk;
  /** A staged key (with its private part): published in the JWKS, signing nothing until a rotation promotes it. */
  next?: Jwk;
  /** Public halves of rotated keys, still trusted so that issued licenses keep verifying. */
  previous: Jwk[];
}

/** What signing needs, swapped as one value: a license is never signed by a key the JWKS does not publish. */
interface KeyState {
  kid: string;
  privateKey: KeyObject;
  /** base64url of the protected header, the same for every license of this key. */
  header: string;
  jwks: Jwks;
  file: KeyFile;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** What the routes need from a signer: the file-backed SigningKeys here, or keys shared by replicas through a database. */
export interface LicenseSigner {
  sign(claims: LicenseClaims): string | Promise<string>;
  /** An offline license (issue 21): the current key, the offline `typ`; the key id kept for the audit list. */
  signOffline(claims: OfflineLicenseClaims): Signed | Promise<Signed>;
  publicKeys(): Jwks | Promise<Jwks>;
  /** Signs with the staged key when there is one (promoted), else with a new one. */
  rotate(): Rotated | Promise<Rotated>;
  /** Publishes a next key without signing with it; the one already staged when there is one. */
  stage(): Staged | Promise<Staged>;
  status(): KeyStatus | Promise<KeyStatus>;
}

/** Which key signs, which is staged, which still verify: key ids only. */
export interface KeyStatus { current: string; next: string | null; previous: string[] }
export interface Signed { jws: string; kid: string }
export interface Rotated { kid: string; jwks: Jwks; promoted: boolean }
export interface Staged extends KeyStatus { jwks: Jwks; created: boolean }

/** base64url of the protected header of section 5 for a key id. */
export const protectedHeader = (kid: string, typ: string = LICENSE_TYP) => b64url(JSON.stringify({ alg: LICENSE_ALG, kid, typ }));

/**
 * The compact JWS: header and claims signed with Ed25519 through node:crypto, on the event loop: on libuv's thread
 * pool a signature cost more CPU in hand-offs than it saved the loop, and no more activations (bench:server).
 */
export function signCompact(header: string, privateKey: KeyObject, claims: LicenseClaims | OfflineLicenseClaims): string {
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** RFC 7638 thumbprint of an Ed25519 key (what jose's calculateJwkThumbprint gives). */
function thumbprint(jwk: { crv: string; kty: string; x: string }): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest('base64url');
}

export function newKey(): Jwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as Required<Pick<JsonWebKey, 'kty' | 'crv' | 'x' | 'd'>>;
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d, kid: thumbprint(jwk), alg: LICENSE_ALG, use: 'sig' };
}

export function publicHalf({ d: _d, ...pub }: Jwk): Jwk {
  return pub;
}

/** Signs a probe and verifies it with the published public half: node:crypto does not check that "d" belongs to "x". */
function matchesPublicKey(privateKey: KeyObject, jwk: Jwk): boolean {
  const probe = Buffer.from('pro-activation signing key probe');
  const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  return verify(null, probe, publicKey, sign(null, probe, privateKey));
}

class KeyMismatchError extends Error {}

/** The private key of a JWK, checked against its own public half. */
export function usablePrivateKey(jwk: Jwk): KeyObject {
  const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  if (!matchesPublicKey(privateKey, jwk)) throw new KeyMismatchError(`the private key of ${jwk.kid} does not match its public key`);
  return privateKey;
}

function stateOf(file: KeyFile): KeyState {
  const privateKey = usablePrivateKey(file.current);
  if (file.next) usablePrivateKey(file.next);
  return {
    kid: file.current.kid,
    privateKey,
    header: protectedHeader(file.current.kid),
    // The staged key is published before it signs: pinned images can take it in before the rotation.
    jwks: { keys: [publicHalf(file.current), ...(file.next ? [publicHalf(file.next)] : []), ...file.previous] } as Jwks,
    file,
  };
}

const keyFileError = (path: string, what: string, cause?: unknown) =>
  new ServerConfigError('server.signing_key', `the signing key file ${path} ${what}; restore it from backup (a new key invalidates every license issued)`, SERVER_EXIT.data, { cause });

/** Checks what was read: a current key with its private part, previous keys without. */
function parseKeyFile(path: string, text: string): KeyFile {
  let file: KeyFile;
  try {
    file = JSON.parse(text) as KeyFile;
  } catch (cause) {
    throw keyFileError(path, 'is not valid JSON', cause);
  }
  const isKey = (k: unknown): k is Jwk => !!k && typeof k === 'object' && (k as Jwk).kty === 'OKP' && (k as Jwk).crv === 'Ed25519' && typeof (k as Jwk).x === 'string' && typeof (k as Jwk).kid === 'string';
  if (!file || !isKey(file.current) || !Array.isArray(file.previous) || !file.previous.every(isKey)) throw keyFileError(path, 'is not a signing key file');
  if (file.next !== undefined && !isKey(file.next)) throw keyFileError(path, 'has a "next" that is not a signing key');
  if (typeof file.current.d !== 'string') throw keyFileError(path, 'has no private key (its "d" is missing)');
  if (file.next && typeof file.next.d !== 'string') throw keyFileError(path, 'has a staged next key without its private part (its "d" is missing)');
  try {
    stateOf(file);
  } catch (cause) {
    if (cause instanceof KeyMismatchError) throw keyFileError(path, `holds a private key ("d") that does not match its public key ("x"): ${cause.message.replace(/^the private key of /, 'kid ')}, so no license it signed would verify`, cause);
    throw keyFileError(path, 'holds a private key that cannot be used', cause);
  }
  return file;
}

/** A private key file that group or others may read (a copy or a restore can widen it): what to do about it, or undefined. */
export function keyFilePermissionWarning(dataDir: string): string | undefined {
  const path = join(dataDir, KEY_FILE);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `${path} holds the private signing key but its mode is ${mode.toString(8).padStart(4, '0')} (group or others may read it); run chmod 600 ${path}`;
}

/** The server's signing keys: signs licenses with node:crypto directly (Ed25519, no JOSE library on the hot path). */
export class SigningKeys implements LicenseSigner {
  private state: KeyState;
  private readonly dataDir: string;
  /** Signs with the key current when the batch runs: a rotation meanwhile signs with the new (published) key. */
  private readonly signing = new BackToBack((claims: LicenseClaims) => {
    const { header, privateKey } = this.state;
    return signCompact(header, privateKey, claims);
  });

  private constructor(dataDir: string, state: KeyState) {
    this.dataDir = dataDir;
    this.state = state;
  }

  /**
   * Loads the key file, or creates it (mode 0600) on a first start. A missing file is replaced only
   * when the store holds no data: otherwise every license issued so far would stop verifying.
   */
  static load(dataDir: string, storeHasData: boolean): SigningKeys {
    const path = join(dataDir, KEY_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw keyFileError(path, `cannot be read (${code})`, cause);
    }
    if (text === undefined) {
      if (storeHasData) throw keyFileError(path, 'is missing but the database holds accounts');
      const keys = new SigningKeys(dataDir, stateOf({ current: newKey(), previous: [] }));
      keys.persist(keys.state);
      return keys;
    }
    const keys = new SigningKeys(dataDir, stateOf(parseKeyFile(path, text)));
    keys.publish(keys.state);
    return keys;
  }

  get kid(): string {
    return this.state.kid;
  }

  get jwks(): Jwks {
    return this.state.jwks;
  }

  publicKeys(): Jwks {
    return this.state.jwks;
  }

  /**
   * The compact JWS of section 5, signed with the current key, read once so that rotation cannot split it.
   * Gathered per turn of the event loop: with the owner kept in memory, the activations of a turn reach here one at a
   * time between other requests, and their signatures run back to back for less CPU (SharedSigningKeys' callers
   * already arrive together, after the account version read they share).
   */
  sign(claims: LicenseClaims): Promise<string> {
    return this.signing.run(claims);
  }

  signOffline(claims: OfflineLicenseClaims): Signed {
    const { kid, privateKey } = this.state;
    return { jws: signCompact(protectedHeader(kid, OFFLINE_LICENSE_TYP), privateKey, claims), kid };
  }

  /**
   * The staged key becomes the current one (or a new key, when none is staged); the old public key stays in
   * the JWKS. Synchronous from reading the state to swapping it, so concurrent rotations run one after
   * another and none is lost.
   */
  rotate(): Rotated {
    const { file } = this.state;
    const next = this.save({ current: file.next ?? newKey(), previous: [publicHalf(file.current), ...file.previous] }, 'the new signing key cannot be saved');
    return { kid: next.kid, jwks: next.jwks, promoted: file.next !== undefined };
  }

  /** Publishes a next key that signs nothing yet; synchronous like rotate(), so concurrent calls stage one key. */
  stage(): Staged {
    const { file } = this.state;
    const state = file.next ? this.state : this.save({ ...file, next: newKey() }, 'the staged signing key cannot be saved');
    return { ...this.status(), jwks: state.jwks, created: !file.next };
  }

  status(): KeyStatus {
    const { file } = this.state;
    return { current: file.current.kid, next: file.next?.kid ?? null, previous: file.previous.map((k) => k.kid) };
  }

  /** On disk first, then in use: a state that could not be saved is never the one that signs or publishes. */
  private save(file: KeyFile, what: string): KeyState {
    const next = stateOf(file);
    try {
      this.persist(next);
    } catch (cause) {
      throw fileStoreError(cause, what);
    }
    this.state = next;
    return next;
  }

  /** The key file first (fsync + rename), then the public JWKS: a key is in use only once both are on disk. */
  private persist(state: KeyState): void {
    writeAtomic(join(this.dataDir, KEY_FILE), JSON.stringify(state.file, null, 2), 0o600);
    this.publish(state);
  }

  private publish(state: KeyState): void {
    const path = join(this.dataDir, PUBLIC_JWKS);
    const text = `${JSON.stringify(state.jwks, null, 2)}\n`;
    try {
      if (readFileSync(path, 'utf8') === text) return;
    } catch {
      // Missing or unreadable: written below.
    }
    makeFolders(join(this.dataDir, 'public'), 0o755);
    writeAtomic(path, text, 0o644);
  }
}
