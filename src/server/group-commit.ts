/**
 * Group commit: every row added in one turn of the event loop is committed by one write, and each add()
 * resolves only once its row is durable (or rejects with the write's error).
 */
export class GroupCommit<T> {
  private pending: { row: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private readonly commit: (rows: T[]) => Promise<unknown>;

  constructor(commit: (rows: T[]) => Promise<unknown>) {
    this.commit = commit;
  }

  add(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate: every request handled in this turn of the event loop joins the same write.
      setImmediate(() => this.flush());
    });
  }

  /** Starts the write of what is pending now (the stores' close() calls it before waiting for their writes). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.commit(batch.map((p) => p.row)).then(
      () => { for (const p of batch) p.resolve(); },
      (error: unknown) => { for (const p of batch) p.reject(error); },
    );
  }
}
