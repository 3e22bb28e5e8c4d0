import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';

/** GET /docs in Chromium: Swagger UI from the npm package renders the document under the page's CSP. */

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('/docs', () => {
  it('lists the tracks routes and the walkthrough, with no CSP violation and no request to another origin', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requested: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    page.on('request', (request) => requested.push(request.url()));
    page.on('response', (response) => {
      if (response.status() >= 400) consoleErrors.push(`${response.status()} ${response.url()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
    });

    const res = await page.goto(`${app.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");

    const tracks = page.locator('#operations-tag-tracks');
    await expect.poll(() => tracks.count(), { timeout: 30_000, message: consoleErrors.join('\n') }).toBe(1);
    const opblocks = page.locator('.opblock');
    await expect.poll(() => opblocks.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
    const summaries = await page.locator('.opblock-summary-path').allTextContents();
    const paths = summaries.map((text) => text.replace(/\u200b/g, '').trim());
    for (const path of ['/tracks', '/tracks/{id}', '/me/tracks', '/me/liked-tracks', '/uploads', '/uploads/{uploadId}/finalize', '/tracks/{id}/like']) {
      expect(paths).toContain(path);
    }
    await expect.poll(() => page.getByRole('heading', { name: "A track's life" }).count(), { timeout: 30_000 }).toBe(1);

    // Opening an operation shows its walkthrough example.
    await page.locator('#operations-tracks-tracks-update').click();
    await expect.poll(() => page.getByText("Track's life, step 4").count(), { timeout: 30_000 }).toBeGreaterThan(0);

    expect(consoleErrors).toEqual([]);
    const origin = new URL(app.url).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin && !url.startsWith('data:'))).toEqual([]);
    await context.close();
  });

  it('keeps the API\'s own CSP everywhere else', async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });
});
