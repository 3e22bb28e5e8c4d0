import { createPlyrClient, type PlyrClient } from '@plyr/client';
import { freePort, storageEnv } from '@plyr/testing';
import { startTestApp, type TestApp } from '@plyr/server/testing';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { browserLogin, loginAs } from '@plyr/testing/atproto/login';
import { startTestS3 } from '@plyr/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { serveWebPage, type ServedPage } from './web-page.js';

export interface BrowserStack {
  browser: Browser;
  network: LocalAtprotoNetwork;
  atprotofans: FakeAtprotofans;
  api: TestApp;
  web: ServedPage;
  /** The origin of the S3-compatible server behind the API (where presigned and CDN URLs point). */
  storageOrigin: string;
  /** An artist, a supporter of that artist (per the stand-in atprotofans) and a listener who is not. */
  accounts: { artist: TestAccount; supporter: TestAccount; listener: TestAccount };
  /**
   * Signs a browser page in: the OAuth login on the PDS is driven from Node (the sign-in test does it
   * in the browser), then the page opens the callback's `/?exchange_token=…` and exchanges it itself.
   */
  signIn(page: Page, account: TestAccount): Promise<void>;
  /** The SDK in token mode for `account`, for test setup (uploads) outside the browser. */
  sdkFor(account: TestAccount): Promise<PlyrClient>;
  close(): Promise<void>;
}

/** A local PDS, the stand-in atprotofans, a real API and the built page, with the browser to drive them. */
export async function startBrowserStack(): Promise<BrowserStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const [browser, network, atprotofans, s3, webPort] = await Promise.all([
      launchChromium(),
      startLocalAtprotoNetwork(),
      startFakeAtprotofans(),
      startTestS3(),
      freePort(),
    ]);
    cleanups.push(() => browser.close(), () => network.close(), () => atprotofans.close(), () => s3.close());
    const [artist, supporter, listener] = await Promise.all(
      ['artist', 'supporter', 'listener'].map((name) => network.createAccount(name)),
    );
    atprotofans.setSupporters([[supporter!.did, artist!.did]]);

    const webUrl = `http://localhost:${webPort}`;
    const api = await startTestApp({
      ...network.env,
      ATPROTOFANS_URL: atprotofans.url,
      FRONTEND_URL: webUrl,
      CORS_ORIGINS: webUrl,
      // These tests are about the browser, not about limits; a page load makes several calls.
      RATE_LIMIT_ENABLED: 'false',
    }, { s3Env: storageEnv(s3.config) });
    cleanups.push(() => api.close());
    const web = await serveWebPage(api.url, webPort);
    cleanups.push(() => web.close());

    return {
      browser,
      network,
      atprotofans,
      api,
      web,
      storageOrigin: new URL(s3.config.endpoint).origin,
      accounts: { artist: artist!, supporter: supporter!, listener: listener! },
      async signIn(page, account) {
        const landing = await browserLogin(api, { handle: account.handle, password: account.password });
        await page.goto(landing.href);
        await page.locator('#viewer-handle', { hasText: `@${account.handle}` }).waitFor();
        await page.locator('body[data-ready="true"]').waitFor();
      },
      async sdkFor(account) {
        const { sessionToken } = await loginAs(api, account.handle, account.password, { mode: 'token' });
        return createPlyrClient({ baseUrl: api.url, token: sessionToken });
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Opens the page and waits until it has loaded the viewer and the track list. */
export async function openPage(page: Page, webUrl: string): Promise<void> {
  await page.goto(webUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}
