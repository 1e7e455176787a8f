import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** A fresh random secret for a cookie or a one-time link (256 bits, base64url). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** What the database keeps of a secret it must recognise but never know. */
export const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A key derived from a secret the server does not keep (a session cookie, an invitation code). */
export const keyOf = (secret: string, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', secret, '', `console:${purpose}`, 32));

/** AES-256-GCM: iv | tag | ciphertext, base64url. */
export function seal(key: Buffer, plain: Buffer | string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The plain bytes, or undefined when the key is wrong or the box was altered. */
export function open(key: Buffer, box: string | null | undefined): Buffer | undefined {
  if (!box) return undefined;
  const raw = Buffer.from(box, 'base64url');
  if (raw.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    return undefined;
  }
}
