import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';

/** Debian's Chromium, installed by `.ci/run`; nothing is downloaded at run time. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A fresh browser profile (own cookies) whose every request is recorded, for "no request was made" checks. */
export interface RecordedContext {
  context: BrowserContext;
  page: Page;
  requests: Request[];
}

export async function openContext(browser: Browser): Promise<RecordedContext> {
  const context = await browser.newContext({ acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  const requests: Request[] = [];
  context.on('request', (request) => requests.push(request));
  const page = await context.newPage();
  return { context, page, requests };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
