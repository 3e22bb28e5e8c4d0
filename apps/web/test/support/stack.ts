import { createPlyrClient, type PlyrClient } from '@plyr/client';
import { freePort } from '@plyr/testing';
import { stackTest } from '@plyr/server/testing';
import type { TestAccount } from '@plyr/testing/atproto/network';
import { browserLogin, loginAs } from '@plyr/testing/atproto/login';
import type { Page } from 'playwright-core';
import { serveWebPage } from './web-page.js';

/**
 * The shared test stack (`@plyr/server/testing`: the worker's Chromium and local PDS; per file the
 * stand-in atprotofans, storage, API and accounts) with the built page served beside the API.
 */
export const webTest = stackTest
  // The page's port is chosen before the API starts: its FRONTEND_URL and CORS_ORIGINS name it.
  // eslint-disable-next-line no-empty-pattern
  .extend('webPort', { scope: 'file' }, async ({}) => freePort())
  .extend('appEnv', { scope: 'file' }, async ({ webPort }) => ({
    FRONTEND_URL: `http://localhost:${webPort}`,
    CORS_ORIGINS: `http://localhost:${webPort}`,
  }))
  .extend('web', { scope: 'file' }, async ({ app, webPort }, { onCleanup }) => {
    const web = await serveWebPage(app.url, webPort);
    onCleanup(() => web.close());
    return web;
  })
  /** The origin of the S3-compatible server behind the API (where presigned and CDN URLs point). */
  .extend('storageOrigin', { scope: 'file' }, async ({ s3 }) => new URL(s3.config.endpoint).origin)
  /**
   * Signs a browser page in: the OAuth login on the PDS is driven from Node (the sign-in test does it
   * in the browser), then the page opens the callback's `/?exchange_token=…` and exchanges it itself.
   */
  .extend('signInPage', { scope: 'file' }, async ({ app, web }) => async (page: Page, account: TestAccount): Promise<void> => {
    const landing = await browserLogin(app, { handle: account.handle, password: account.password });
    if (!landing.href.startsWith(web.url)) throw new Error(`the sign-in landed on ${landing.href}, not the page`);
    await page.goto(landing.href);
    await page.locator('#viewer-handle', { hasText: `@${account.handle}` }).waitFor();
    await page.locator('body[data-ready="true"]').waitFor();
  })
  /** The SDK in token mode for `account`, for test setup (uploads) outside the browser. */
  .extend('sdkFor', { scope: 'file' }, async ({ app }) => async (account: TestAccount): Promise<PlyrClient> => {
    const { sessionToken } = await loginAs(app, account.handle, account.password, { mode: 'token' });
    return createPlyrClient({ baseUrl: app.url, token: sessionToken });
  });

/** Opens the page and waits until it has loaded the viewer and the track list. */
export async function openPage(page: Page, webUrl: string): Promise<void> {
  await page.goto(webUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}
