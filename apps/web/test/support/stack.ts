import { createPlyrClient, type PlyrClient } from '@plyr/client';
import { freePort, startTestApp, storageEnv, type TestApp } from '@plyr/testing';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing/atprotofans';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { browserRequest, CookieJar, signInOnPds } from '@plyr/testing/atproto/oauth-login';
import { startTestS3 } from '@plyr/testing/s3';
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
  /** The whole OAuth login on the PDS, done from Node; returns the exchange token the callback issued. */
  exchangeTokenFor(account: TestAccount): Promise<string>;
  /** Signs a browser page in the way the callback does: `/?exchange_token=…`, exchanged by the page. */
  signIn(page: Page, account: TestAccount): Promise<void>;
  /** The SDK in token mode for `account`, for test setup (uploads) outside the browser. */
  sdkFor(account: TestAccount): Promise<PlyrClient>;
  close(): Promise<void>;
}

const HTTP_TIMEOUT_MS = 10_000;

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

    const exchangeTokenFor = async (account: TestAccount): Promise<string> => {
      const jar = new CookieJar();
      const start = await browserRequest(jar, new URL(`/auth/start?handle=${account.handle}`, api.url));
      if (start.status !== 307 || !start.headers.location) throw new Error(`/auth/start answered ${start.status}`);
      const callback = await signInOnPds({
        authorizeUrl: start.headers.location,
        username: account.handle,
        password: account.password,
      });
      const landed = await browserRequest(jar, callback);
      const location = landed.headers.location;
      const token = location ? new URL(location).searchParams.get('exchange_token') : null;
      if (landed.status !== 303 || !token) throw new Error(`/auth/callback answered ${landed.status} ${location}`);
      return token;
    };

    return {
      browser,
      network,
      atprotofans,
      api,
      web,
      storageOrigin: new URL(s3.config.endpoint).origin,
      accounts: { artist: artist!, supporter: supporter!, listener: listener! },
      exchangeTokenFor,
      async signIn(page, account) {
        const token = await exchangeTokenFor(account);
        await page.goto(`${web.url}/?exchange_token=${encodeURIComponent(token)}`);
        await page.locator('#viewer-handle', { hasText: `@${account.handle}` }).waitFor();
      },
      async sdkFor(account) {
        const exchangeToken = await exchangeTokenFor(account);
        const anonymous = createPlyrClient({ baseUrl: api.url, fetch: timedFetch });
        const { token } = await anonymous.auth.exchange.mutate({ exchangeToken, mode: 'token' });
        return createPlyrClient({ baseUrl: api.url, token, fetch: timedFetch });
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Node-side SDK calls get a timeout like every other network call of the suite. */
const timedFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(HTTP_TIMEOUT_MS) });

/** Opens the page and waits until it has loaded the viewer and the track list. */
export async function openPage(page: Page, webUrl: string): Promise<void> {
  await page.goto(webUrl);
  await page.locator('body[data-ready="true"]').waitFor();
}
