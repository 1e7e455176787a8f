/**
 * Group commit: rows are committed in batches by one write at a time, and each add() resolves only once its
 * row is durable (or rejects with the write's error). Rows that arrive while a write is in flight form the
 * next batch, so a slower disk or database makes bigger batches rather than a longer queue of small ones.
 */
export class GroupCommit<T> {
  private pending: { row: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private readonly commit: (rows: T[]) => Promise<unknown>;

  constructor(commit: (rows: T[]) => Promise<unknown>) {
    this.commit = commit;
  }

  add(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.scheduled || this.writing) return;
      this.scheduled = true;
      // setImmediate: every request handled in this turn of the event loop joins the same write.
      setImmediate(() => this.flush());
    });
  }

  /** Starts the write of what is pending now, unless one is in flight (its end starts the next). */
  flush(): void {
    this.scheduled = false;
    if (this.writing) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    // Through a promise: a commit that throws before returning one fails its batch, not the process (this runs in setImmediate).
    this.writing = Promise.resolve().then(() => this.commit(batch.map((p) => p.row))).then(
      () => { for (const p of batch) p.resolve(); },
      (error: unknown) => { for (const p of batch) p.reject(error); },
    ).finally(() => {
      this.writing = undefined;
      this.flush();
    });
  }

  /** Commits everything added so far (the stores' close() waits for it before closing). */
  async drain(): Promise<void> {
    this.flush();
    while (this.writing) await this.writing;
  }
}
