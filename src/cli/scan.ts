// `localstack auth scan`: files (and, with --git-history, every blob in a git repository's history) searched for
// auth tokens whose checksum matches. Streams everything in pieces: bounded memory on large trees and binary files.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { outsideText } from '../core/redact.ts';
import { TokenScanner, type TokenFinding } from './token-scanner.ts';

/** Folders never entered when walking (a repository's history is --git-history's job; dependencies are not yours). */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);
const PIECE_BYTES = 64 * 1024;

export interface Located extends TokenFinding { where: string }
export interface ScanReport { findings: number; files: number; unreadable: number }

type Report = (finding: Located) => void;
type Warn = (line: string) => void;

async function scanFile(path: string, shown: string, report: Report): Promise<void> {
  const scanner = new TokenScanner();
  for await (const piece of createReadStream(path, { highWaterMark: PIECE_BYTES })) {
    for (const f of scanner.push(piece as Buffer)) report({ ...f, where: shown });
  }
  for (const f of scanner.end()) report({ ...f, where: shown });
}

/** Every regular file under the paths (folders walked depth first, one open directory handle at a time per level, symlinks not followed). */
export async function scanPaths(paths: string[], cwd: string, report: Report, warn: Warn): Promise<ScanReport> {
  const result: ScanReport = { findings: 0, files: 0, unreadable: 0 };
  const counted: Report = (f) => { result.findings++; report(f); };
  const shown = (path: string) => outsideText(relative(cwd, path) || path, [], 1000);
  const visit = async (path: string, given: boolean): Promise<void> => {
    let stat;
    try {
      stat = await lstat(path);
    } catch (error) {
      if (given) throw error;
      result.unreadable++;
      return;
    }
    if (stat.isDirectory()) {
      let dir;
      try {
        dir = await opendir(path, { bufferSize: 64 });
      } catch (error) {
        warn(`cannot read the folder ${shown(path)} (${(error as NodeJS.ErrnoException).code}); skipped`);
        result.unreadable++;
        return;
      }
      for await (const entry of dir) {
        if (entry.isDirectory() && SKIPPED_FOLDERS.has(entry.name)) continue;
        if (entry.isDirectory() || entry.isFile()) await visit(join(path, entry.name), false);
      }
      return;
    }
    if (!stat.isFile()) return;
    try {
      await scanFile(path, shown(path), counted);
      result.files++;
    } catch (error) {
      warn(`cannot read ${shown(path)} (${(error as NodeJS.ErrnoException).code}); skipped`);
      result.unreadable++;
    }
  };
  for (const path of paths) await visit(path, true);
  return result;
}

/** Runs git in the repository; its stdout as a stream, its failure as one line. */
function git(repo: string, args: string[]) {
  const child = spawn('git', ['-C', repo, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { if (stderr.length < 2000) stderr += d; });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run git: ${(error as NodeJS.ErrnoException).code}`)));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed: ${outsideText(stderr.trim().split('\n')[0] ?? '', [], 200)}`))));
  });
  // Awaited later, after the output is read: a git that fails at once must not be an unhandled rejection meanwhile.
  done.catch(() => undefined);
  return { child, done };
}

/** The first commit (short id) that holds the blob, to name where a token entered the history. */
async function commitOf(repo: string, blob: string): Promise<string> {
  const { child, done } = git(repo, ['log', '--all', '--reverse', '--format=%h', `--find-object=${blob}`]);
  let out = '';
  child.stdin.end();
  child.stdout.on('data', (d) => { if (out.length < 4096) out += d; });
  await done;
  return out.split('\n')[0] || blob.slice(0, 12);
}

/**
 * Every blob reachable from any ref (each once), streamed through `git cat-file --batch`: reported as
 * commit:path:line, the commit being the first that holds that content.
 */
export async function scanGitHistory(repo: string, report: Report): Promise<ScanReport> {
  const result: ScanReport = { findings: 0, files: 0, unreadable: 0 };
  const objects = git(repo, ['rev-list', '--all', '--objects']);
  objects.child.stdin.end();
  const batch = git(repo, ['cat-file', '--batch']);
  const paths: string[] = [];
  // Feeds cat-file one object id per line, remembering each blob's path in order (trees and commits are skipped below).
  const feeding = (async () => {
    for await (const line of createInterface({ input: objects.child.stdout })) {
      const space = line.indexOf(' ');
      if (space === -1) continue;
      paths.push(line.slice(space + 1));
      if (!batch.child.stdin.write(`${line.slice(0, space)}\n`)) await new Promise((r) => batch.child.stdin.once('drain', r));
    }
    batch.child.stdin.end();
  })();
  const hits: { blob: string; path: string; finding: TokenFinding }[] = [];
  // cat-file's answer per object: "<id> <type> <size>\n", then <size> bytes and "\n".
  let header = '';
  let object: { id: string; blob: boolean; left: number; path: string; scanner: TokenScanner } | undefined;
  let index = 0;
  for await (const chunk of batch.child.stdout as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length) {
      if (!object) {
        const nl = chunk.indexOf(10, at);
        header += chunk.toString('latin1', at, nl === -1 ? chunk.length : nl);
        if (nl === -1) break;
        at = nl + 1;
        const [id, type, size] = header.split(' ');
        header = '';
        const path = paths[index++] ?? '';
        if (type === 'missing') continue;
        object = { id, blob: type === 'blob', left: Number(size) + 1, path, scanner: new TokenScanner() };
      }
      const take = Math.min(object.left, chunk.length - at);
      const body = chunk.subarray(at, at + take - (take === object.left ? 1 : 0));
      if (object.blob) for (const finding of object.scanner.push(body)) hits.push({ blob: object.id, path: object.path, finding });
      at += take;
      object.left -= take;
      if (object.left === 0) {
        if (object.blob) {
          for (const finding of object.scanner.end()) hits.push({ blob: object.id, path: object.path, finding });
          result.files++;
        }
        object = undefined;
      }
    }
  }
  await Promise.all([feeding, objects.done, batch.done]);
  const commits = new Map<string, string>();
  for (const hit of hits) {
    if (!commits.has(hit.blob)) commits.set(hit.blob, await commitOf(repo, hit.blob));
    result.findings++;
    report({ ...hit.finding, where: `${commits.get(hit.blob)}:${outsideText(hit.path, [], 1000)}` });
  }
  return result;
}
