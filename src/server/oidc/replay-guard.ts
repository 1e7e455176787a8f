import { recordUses } from '../storage/ci-trusts.ts';
import { GroupCommit } from '../storage/group-commit.ts';
import type { Store } from '../storage/store.ts';

interface Use { key: string; expiresAt: string; first: boolean }

/**
 * Each ID token (jti) activates once. The uses of concurrent activations are recorded in one write transaction
 * (group commit), committed before any of them is answered; the same token twice in one batch is caught by the table.
 */
export class ReplayGuard {
  private readonly batch: GroupCommit<Use>;
  constructor(store: Store) {
    this.batch = new GroupCommit<Use>((uses) => store.write(async (tx) => {
      const first = await recordUses(tx.sql, uses);
      // The same token twice in one batch: only its first use counts.
      for (const use of uses) use.first = first.delete(use.key);
    }));
  }

  /** True the first time the key is seen (and now recorded); false for a replay. */
  async firstUse(key: string, expiresAt: string): Promise<boolean> {
    const use: Use = { key, expiresAt, first: false };
    await this.batch.add(use);
    return use.first;
  }
}
