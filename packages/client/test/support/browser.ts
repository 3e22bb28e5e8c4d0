import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, installed by `.ci/run` (the same one the web app's tests use); nothing is downloaded. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-quic'];

/** The built SDK (`dist/`, what npm ships) bundled with its dependencies into one browser module. */
async function bundleSdk(): Promise<string> {
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

export interface SdkPage {
  /** `http://localhost:<port>`: the page's origin (same site as an API on another localhost port). */
  origin: string;
  page: Page;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Chromium on a page that has loaded the SDK as `window.plyr` (the module's exports), served from its
 * own origin, so calls to the API are cross-origin as they are from plyr.fm.
 */
export async function openSdkPage(): Promise<SdkPage> {
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
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await page.goto(origin);
  await page.waitForFunction(() => document.title === 'ready');
  return {
    origin,
    page,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
