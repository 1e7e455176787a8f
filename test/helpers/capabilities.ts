import { spawnSync } from 'node:child_process';

/**
 * A skip reason when the machine lacks a capability a fault test needs (root, unshare, tini…), or
 * false. On CI (CI=true) never a skip: the test then runs and fails, as a missing tool must.
 */
export function unlessAble(able: boolean, what: string): string | false {
  if (able || process.env.CI === 'true') return false;
  return `needs ${what}`;
}

export function canUnshare(...flags: string[]): boolean {
  return spawnSync('unshare', [...flags, 'true']).status === 0;
}

export function has(command: string, ...args: string[]): boolean {
  return spawnSync(command, args.length ? args : ['--version'], { stdio: 'ignore' }).status === 0;
}

export const isRoot = process.getuid?.() === 0;
