import { DAY_MS } from '../constants.ts';

/** `2026-11-23 08:45 UTC`: one unambiguous form for every reader. */
export const when = (iso: string | null | undefined): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—');
export const day = (iso: string): string => iso.slice(0, 10);

/** Whole days left, rounded up: a trial that ends in 3 hours has 1 day left. */
export const daysLeft = (expiresAt: string, now: Date): number => Math.max(0, Math.ceil((Date.parse(expiresAt) - now.getTime()) / DAY_MS));

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
