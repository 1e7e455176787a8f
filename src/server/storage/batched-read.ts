/**
 * One read shared by every caller that asks while no read has started yet: callers of one turn of the event loop
 * share a round trip. A read already in flight may predate a caller's request, so it is never joined: whoever asks
 * meanwhile gets the next one, started when it ends (so each answer is as fresh as a read of its own).
 */
export class BatchedRead<T> {
  private next: { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } | undefined;
  private inFlight = false;
  private readonly fetch: () => Promise<T>;

  constructor(fetch: () => Promise<T>) {
    this.fetch = fetch;
  }

  read(): Promise<T> {
    if (!this.next) {
      let resolve!: (value: T) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
      this.next = { promise, resolve, reject };
      // setImmediate: every request handled in this turn of the event loop joins the same read.
      if (!this.inFlight) setImmediate(() => this.start());
    }
    return this.next.promise;
  }

  private start(): void {
    const waiting = this.next;
    if (!waiting || this.inFlight) return;
    this.next = undefined;
    this.inFlight = true;
    // Through a promise: a fetch that throws before returning one fails its callers, not the process.
    Promise.resolve().then(() => this.fetch()).then(waiting.resolve, waiting.reject).finally(() => {
      this.inFlight = false;
      this.start();
    });
  }
}
