import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SCRYPT } from './constants.ts';

const KEY = 32;
const derive = (password: string, salt: Buffer, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password.normalize('NFKC'), salt, 2 * KEY, options, (e, key) => (e ? reject(e) : resolve(key))));

/**
 * One scrypt run gives two keys: the first half is stored to verify the password (`scrypt$N$r$p$salt$verifier`),
 * the second half is never stored and unlocks what only this member may read (its auth token, see vault.ts).
 */
export async function hashPassword(password: string): Promise<{ hash: string; key: Buffer }> {
  const salt = randomBytes(SCRYPT.saltLength);
  const out = await derive(password, salt, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem });
  const hash = ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), out.subarray(0, KEY).toString('base64url')].join('$');
  return { hash, key: out.subarray(KEY) };
}

/** The member's key when the password is right, else undefined. */
export async function verifyPassword(password: string, stored: string): Promise<Buffer | undefined> {
  const [scheme, n, r, p, salt, verifier] = stored.split('$');
  if (scheme !== 'scrypt' || !verifier) return undefined;
  const out = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(out.subarray(0, KEY), Buffer.from(verifier, 'base64url')) ? out.subarray(KEY) : undefined;
}

let dummy: Promise<string> | undefined;
/** A hash of a random password: checking an unknown e-mail costs what checking a known one costs. */
export const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString('hex')).then((h) => h.hash));
