import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../../errors.ts';
import type { ActivationRow } from '../store.ts';

// The thread that commits activation rows on its own connection. A commit with synchronous=FULL waits for the
// disk (fsync); here that wait holds this thread only, never the event loop that answers requests. Batches that
// arrive while one commits are drained together (receiveMessageOnPort), so a slow disk makes bigger commits,
// not a longer queue. Errors go back with SQLite's code for the store to name.
const WORKER = `
const { DatabaseSync } = require('node:sqlite');
const { statSync } = require('node:fs');
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
let db, insert;
// SQLite in WAL mode writes on into a file deleted or replaced under it: no row may be confirmed that a restart cannot find.
function checkFile() {
  const now = statSync(workerData.path, { throwIfNoEntry: false });
  if (!now || now.dev !== workerData.file.dev || now.ino !== workerData.file.ino) {
    throw Object.assign(new Error('database file was deleted or replaced'), { errcode: workerData.movedErrcode, errstr: 'database file was deleted or replaced' });
  }
}
// The connection is kept only once its statement is prepared: an open that failed (a lock, a missing table) is tried again.
function open() {
  const conn = new DatabaseSync(workerData.path);
  try {
    conn.exec('PRAGMA busy_timeout = ' + workerData.busyTimeoutMs + '; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    insert = conn.prepare('INSERT INTO activations (id, workspace_id, subject, at, ci, ci_provider, version, machine_id, pipeline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  } catch (error) {
    try { conn.close(); } catch {}
    throw error;
  }
  db = conn;
}
function commit(batches) {
  try {
    checkFile();
    if (!db) open();
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const b of batches) for (const a of b.rows) insert.run(a.id, a.workspace_id, a.subject, a.at, a.ci, a.ci_provider, a.version, a.machine_id, a.pipeline ?? null);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) try { db.exec('ROLLBACK'); } catch {}
      throw error;
    }
    parentPort.postMessage({ ids: batches.map((b) => b.id) });
  } catch (error) {
    parentPort.postMessage({ ids: batches.map((b) => b.id), error: { message: String(error && error.message), errcode: error && error.errcode, errstr: error && error.errstr } });
  }
}
parentPort.on('message', (first) => {
  if (first === 'stop') return stop();
  const batches = [first];
  let stopping = false;
  for (let m; (m = receiveMessageOnPort(parentPort)); ) {
    if (m.message === 'stop') stopping = true; else batches.push(m.message);
  }
  commit(batches);
  if (stopping) stop();
});
function stop() { try { db && db.close(); } catch {} parentPort.close(); }
`;

/** SQLite's extended code for a database file deleted or moved while open; the thread reports its own check with it. */
export const SQLITE_READONLY_DBMOVED = 1032;

/** Which file a path named when the store opened it: a later stat that differs means it was deleted or replaced. */
export interface FileIdentity { dev: number; ino: number }
export function fileIdentity(path: string): FileIdentity {
  const { dev, ino } = statSync(path);
  return { dev, ino };
}

/** What a failed commit carries back from the thread: SQLite's own code and text, for toStoreError. */
interface WriteFailure extends Error {
  errcode?: number;
  errstr?: string;
}

/** Commits batches of activation rows on a thread of its own; write() resolves once its rows are on disk. */
export class ActivationWriter {
  private readonly path: string;
  private readonly busyTimeoutMs: number;
  private readonly file: FileIdentity;
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
  private nextId = 1;
  private stopped: Promise<void> | undefined;

  /** `file`: the file the store opened (the thread commits into that one only); by default the one at `path` now. */
  constructor(path: string, busyTimeoutMs: number, file: FileIdentity = fileIdentity(path)) {
    this.path = path;
    this.busyTimeoutMs = busyTimeoutMs;
    this.file = file;
  }

  write(rows: ActivationRow[]): Promise<void> {
    if (this.stopped) return Promise.reject(new StoreError('store.unavailable', 'the license server is shutting down'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.thread().postMessage({ id, rows });
    });
  }

  /** Started on the first write, and again after a thread that died: a crash fails its own batches only. */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER, { eval: true, workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs, file: this.file, movedErrcode: SQLITE_READONLY_DBMOVED } });
    worker.on('message', (answer: { ids: number[]; error?: { message: string; errcode?: number; errstr?: string } }) => {
      const failure = answer.error && Object.assign(new Error(answer.error.message) as WriteFailure, { errcode: answer.error.errcode, errstr: answer.error.errstr });
      for (const id of answer.ids) {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        if (failure) w?.reject(failure);
        else w?.resolve();
      }
    });
    worker.unref(); // the server's socket keeps the process alive; close() holds it until the last commit
    worker.on('error', () => undefined); // followed by 'exit', which fails what is waiting
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(new StoreError('store.io', 'the thread writing activations stopped before it committed them'));
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }

  /** Lets the writes already sent commit, then ends the thread. */
  close(): Promise<void> {
    this.stopped ??= (async () => {
      const worker = this.worker;
      if (!worker) return;
      worker.ref();
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      worker.postMessage('stop');
      await exited;
    })();
    return this.stopped;
  }
}
