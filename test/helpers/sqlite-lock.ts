import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** A second program that takes the write lock (BEGIN IMMEDIATE) and holds it until told to let go. */
export async function holdWriteLock(dataDir: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(process.argv[1]);
    db.exec('PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE');
    db.exec("INSERT INTO settings (key, value) VALUES ('lock-holder', 'x') ON CONFLICT (key) DO UPDATE SET value = 'y'");
    console.log('locked');
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', script, join(dataDir, 'license.db')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((done, fail) => {
    child.stdout.on('data', (d) => String(d).includes('locked') && done());
    child.once('exit', (code) => fail(new Error(`the lock holder exited ${code}`)));
  });
  return { release: async () => { child.stdin.end(); await exited; } };
}
