import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';

export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results');

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
