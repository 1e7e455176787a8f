import { LIMITS } from './constants.ts';
import { maskCredential } from './credentials.ts';

// A token-shaped word: ls-/lsci- at a word start, then more than the 4 characters a masked form keeps.
const TOKEN_SHAPED = /(?<![A-Za-z0-9_-])(lsci-|ls-)([A-Za-z0-9][A-Za-z0-9-]{4,})/g;
// A JSON Web Token (a CI ID token is one): its header's base64url always starts eyJ.
const JWT_SHAPED = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const AUTH_HEADER = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;
// Control characters (C0, DEL, C1), line separators, and bidi controls that reorder what a terminal shows.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

// The same, but for text that may span lines: line feeds and tabs stay.
const CONTROL_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text fit for a terminal, whatever it holds (a path or a variable's value from the environment): each control or
 * bidi character becomes `?`, as ls shows them, so no escape sequence sets a title or moves the cursor.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_IN_LINES, '?');
}

/** Masks every credential-shaped word and every known secret (the credential in use, legacy keys too). */
export function maskSecrets(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) {
    if (secret && secret.length >= 4) out = out.replaceAll(secret, maskCredential(secret));
  }
  return out.replace(TOKEN_SHAPED, (_m, prefix: string, body: string) => `${prefix}${body.slice(0, 4)}…`).replace(JWT_SHAPED, 'eyJ…');
}

/** Any decoded JSON value as text; String() throws for objects such as {"toString": null}. */
function describe(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Text that came from outside (a server's message, a header field, an error's text), made fit for one
 * log line: control characters flattened, secrets masked, length bounded.
 */
export function outsideText(value: unknown, known: readonly (string | undefined)[] = [], max: number = LIMITS.outsideTextChars): string {
  let text = typeof value === 'string' ? value : describe(value);
  // Cut before masking so a huge input costs little; cut again after, as masking never lengthens much.
  if (text.length > max * 4) text = text.slice(0, max * 4);
  text = maskSecrets(text.replace(CONTROL, ' '), known).replace(AUTH_HEADER, (_m, scheme: string) => `${scheme} …`).trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A URL as it may be stored or shown: never its user:password. */
export function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
