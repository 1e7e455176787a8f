import type { CredentialOwner } from './store.ts';

// Who a credential belongs to, kept in memory with the account version it was read at (migration 8). A kept owner is
// used only while that version is still the current one: a change committed anywhere is seen by the next activation
// that learns the new version (the store says how it learns it).

/** The version every change to an account bumps, in the same transaction (triggers of migration 8). */
export const ACCOUNT_VERSION_SQL = 'SELECT version FROM account_version';

/** Beyond this many credentials the cache starts again empty: memory stays bounded whatever the traffic. */
export const OWNER_CACHE_ENTRIES = 50_000;

/** Rows shared by every request that hits the entry: frozen, so none can change what the next one is told. */
function frozen(owner: CredentialOwner): CredentialOwner {
  for (const part of Object.values(owner)) if (part && typeof part === 'object') Object.freeze(part);
  return Object.freeze(owner);
}

export class OwnerCache {
  private readonly entries = new Map<string, { owner: CredentialOwner; version: string }>();
  private readonly max: number;

  constructor(max = OWNER_CACHE_ENTRIES) {
    this.max = max;
  }

  /** The owner kept for this credential if it was read at `version` (the current one), else undefined. */
  owner(column: string, hash: string, version: string | number | bigint): CredentialOwner | undefined {
    const kept = this.entries.get(`${column} ${hash}`);
    return kept && kept.version === String(version) ? kept.owner : undefined;
  }

  /** Whether anything is kept for this credential (at any version): only then is the current version worth asking for. */
  has(column: string, hash: string): boolean {
    return this.entries.has(`${column} ${hash}`);
  }

  /** Keeps an owner read in the same statement (snapshot) as `version`; returns it frozen. */
  keep(column: string, hash: string, owner: CredentialOwner, version: string | number | bigint): CredentialOwner {
    if (this.entries.size >= this.max) this.entries.clear();
    const kept = frozen(owner);
    this.entries.set(`${column} ${hash}`, { owner: kept, version: String(version) });
    return kept;
  }
}
