import { CONSOLE, hoursFrom } from './constants.ts';
import type { ConsoleStore, ConsoleWrites } from './store.ts';
import { keyOf, newSecret, open, seal, secretHash } from './vault.ts';


export type SessionState =
  | { kind: 'none' }
  | { kind: 'expired' }
  | { kind: 'active'; memberId: string; idHash: string; key: Buffer };

/** Server-side sessions: the cookie holds a random secret; the database holds its hash and what only that secret unlocks. */
export class Sessions {
  private readonly store: ConsoleStore;
  private readonly clock: () => Date;
  constructor(store: ConsoleStore, clock: () => Date) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Starts a session for a member whose password gave `key`; returns the cookie's value. `writes`: a transaction's, so
   * that an account and its first session are stored together (a sign-up is never half done behind a 503).
   */
  async start(memberId: string, key: Buffer, writes: ConsoleWrites = this.store): Promise<string> {
    const now = this.clock();
    await writes.deleteExpiredSessions(now.toISOString());
    const secret = newSecret();
    await writes.createSession({
      id_hash: secretHash(secret), member_id: memberId, key_box: seal(keyOf(secret, 'session'), key),
      created_at: now.toISOString(), expires_at: hoursFrom(now, CONSOLE.sessionHours),
    });
    return secret;
  }

  async resolve(cookie: string | undefined): Promise<SessionState> {
    if (!cookie) return { kind: 'none' };
    const idHash = secretHash(cookie);
    const row = await this.store.session(idHash);
    if (!row || row.expires_at <= this.clock().toISOString()) return { kind: 'expired' };
    const key = open(keyOf(cookie, 'session'), row.key_box);
    return key ? { kind: 'active', memberId: row.member_id, idHash, key } : { kind: 'expired' };
  }

  async end(cookie: string | undefined, writes: ConsoleWrites = this.store): Promise<void> {
    if (cookie) await writes.deleteSession(secretHash(cookie));
  }
}
