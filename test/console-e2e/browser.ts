import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from '../helpers/server.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** Why the browser suite cannot run here, or undefined. On CI that is a failure, never a skip. */
export function missingBrowser(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`;
  if (process.env.CI) throw new Error(why);
  return why;
}

/** Debian's chromium, headless; Playwright gives every launch a fresh temporary --user-data-dir. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    timeout: 30_000,
  });
}

/** Where screenshots and paint timings go: CONSOLE_ARTIFACTS, else a temporary folder. */
export const ARTIFACTS = process.env.CONSOLE_ARTIFACTS ?? tempDir('pa-console-shots-');
mkdirSync(ARTIFACTS, { recursive: true });

export const paints: Record<string, number> = {};

/** The page's first contentful paint (ms from navigation start), as the browser measured it. */
export async function firstPaint(page: Page, _name: string): Promise<number> {
  const ms = await page.evaluate(() => {
    const entries = performance.getEntriesByType('paint');
    const e = entries.find((p) => p.name === 'first-contentful-paint') ?? entries.find((p) => p.name === 'first-paint');
    return e ? e.startTime : -1;
  });
  return Math.round(ms * 10) / 10;
}

/** A full-page screenshot at desktop and at phone width. */
export async function shoot(page: Page, name: string): Promise<void> {
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

export function writePaints(): string {
  const file = join(ARTIFACTS, 'first-paint.json');
  writeFileSync(file, `${JSON.stringify(paints, null, 2)}\n`);
  return file;
}
