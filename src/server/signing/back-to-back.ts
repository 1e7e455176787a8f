/**
 * Calls made during one turn of the event loop, run one after another at its end (setImmediate) instead of each
 * between the handling of other requests: Ed25519 signatures run back to back cost less CPU per activation than
 * the same signatures interleaved with HTTP work (bench:server, docs/architecture.md). Each caller gets its own
 * result or its own error.
 */
export class BackToBack<I, O> {
  private queue: { input: I; resolve: (value: O | PromiseLike<O>) => void; reject: (error: unknown) => void }[] = [];
  private readonly fn: (input: I) => O | PromiseLike<O>;

  constructor(fn: (input: I) => O | PromiseLike<O>) {
    this.fn = fn;
  }

  run(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ input, resolve, reject }) === 1) setImmediate(() => this.drain());
    });
  }

  private drain(): void {
    const batch = this.queue;
    this.queue = [];
    for (const call of batch) {
      try {
        call.resolve(this.fn(call.input));
      } catch (error) {
        call.reject(error);
      }
    }
  }
}
