import { Worker } from 'node:worker_threads';

// Runs in its own thread with its own connection: a checkpoint copies the WAL into the database file and
// fsyncs it, which on the main thread would stall every request for as long as the disk takes.
const WORKER = `
const { DatabaseSync } = require('node:sqlite');
const { parentPort, workerData } = require('node:worker_threads');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 0');
const timer = setInterval(() => {
  try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); try { db.close(); } catch {} parentPort.close(); });
`;

/** Checkpoints the WAL of the database at path every intervalMs, off the event loop; stop() ends it. */
export function startWalCheckpointer(path: string, intervalMs: number): { stop: () => Promise<void> } {
  const worker = new Worker(WORKER, { eval: true, workerData: { path, intervalMs } });
  worker.unref();
  // A checkpointer that fails only lets the WAL grow until the writer's own fallback checkpoint runs.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      if (!stopping) {
        worker.postMessage('stop');
        const kill = setTimeout(() => void worker.terminate(), 1_000);
        stopping = exited.finally(() => clearTimeout(kill));
      }
      return stopping;
    },
  };
}
