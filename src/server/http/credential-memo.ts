// A bearer value's parsed form and both digests, kept per token string: a pipeline sends the same token on every
// activation, and parsing it (its checksum) and hashing it cost three SHA-256 each time (bench:server).
import { credentialBinding, hashCredential, parseCredential, type Credential } from '../../core/credentials.ts';
import { CREDENTIAL_MEMO_ENTRIES } from '../constants.ts';

export interface ParsedCredential {
  credential: Credential;
  /** The stored form (hashCredential): what the rate limiter and the owner lookup key on. */
  hash: string;
  /** The license's `tok` claim (credentialBinding). */
  binding: string;
}

/** Only well-formed values are kept; beyond `max` the memo starts again empty, so memory stays bounded whatever is sent. */
export class CredentialMemo {
  private readonly entries = new Map<string, ParsedCredential>();
  private readonly max: number;

  constructor(max = CREDENTIAL_MEMO_ENTRIES) {
    this.max = max;
  }

  /** The parsed credential; throws parseCredential's CredentialError for a malformed value (which is not kept). */
  parse(value: string): ParsedCredential {
    const kept = this.entries.get(value);
    if (kept) return kept;
    const parsed = Object.freeze({ credential: Object.freeze(parseCredential(value)), hash: hashCredential(value), binding: credentialBinding(value) });
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(value, parsed);
    return parsed;
  }

  get size(): number {
    return this.entries.size;
  }
}
