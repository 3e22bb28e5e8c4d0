import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { liveTest } from './live-api.js';

/** The built SDK (`dist/`, what npm ships) bundled with its dependencies into one browser module. */
async function buildSdkBundle(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'plyr-sdk-browser-'));
  try {
    await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir,
        minify: false,
        lib: { entry: join(import.meta.dirname, '..', '..', 'dist', 'index.js'), formats: ['es'], fileName: () => 'sdk.js' },
      },
    });
    return await readFile(join(outDir, 'sdk.js'), 'utf8');
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

// `dist/` does not change during a run: the worker's files share one bundle.
let bundle: Promise<string> | undefined;
function bundleSdk(): Promise<string> {
  bundle ??= buildSdkBundle().catch((err: unknown) => {
    bundle = undefined;
    throw err;
  });
  return bundle;
}

export interface SdkPage {
  /** `http://localhost:<port>`: the page's origin (same site as an API on another localhost port). */
  origin: string;
  page: Page;
  close(): Promise<void>;
}

/**
 * A page in a fresh context of `browser` that has loaded the SDK as `window.plyr` (the module's
 * exports), served from its own origin, so calls to the API are cross-origin as they are from plyr.fm.
 */
async function openSdkPage(browser: Browser): Promise<SdkPage> {
  const sdk = await bundleSdk();
  const html = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">import * as plyr from '/sdk.js'; window.plyr = plyr; document.title = 'ready';</script>`;
  const server: Server = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await page.goto(origin);
  await page.waitForFunction(() => document.title === 'ready');
  return {
    origin,
    page,
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The live API with `sdk`: the SDK page, in its own browser context of the worker's Chromium, for
 * the file. The API allows the page's origin (CORS_ORIGINS) when a test starts it.
 */
export const sdkTest = liveTest
  .extend('sdk', { scope: 'file' }, async ({ browser }, { onCleanup }) => {
    const sdk = await openSdkPage(browser);
    onCleanup(() => sdk.close());
    return sdk;
  })
  .extend('appEnv', { scope: 'file' }, async ({ sdk }) => ({ CORS_ORIGINS: sdk.origin }));
