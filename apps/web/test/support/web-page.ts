import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';

const WEB_ROOT = join(import.meta.dirname, '..', '..');

export interface ServedPage {
  /** The page's origin, e.g. http://localhost:41234 (what FRONTEND_URL and CORS_ORIGINS name). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the page against `apiUrl` and serves it with `vite preview` on localhost:`port` (chosen
 * before the API starts, since the API's FRONTEND_URL and CORS_ORIGINS name this origin).
 */
export async function serveWebPage(apiUrl: string, port: number): Promise<ServedPage> {
  const outDir = await mkdtemp(join(tmpdir(), 'plyr-web-'));
  const config = {
    configFile: join(WEB_ROOT, 'vite.config.ts'),
    logLevel: 'warn' as const,
    define: { 'import.meta.env.VITE_API_URL': JSON.stringify(apiUrl) },
    build: { outDir, emptyOutDir: true },
    preview: { host: 'localhost', port, strictPort: true },
  };
  await build(config);
  const server = await preview(config);
  return {
    url: `http://localhost:${port}`,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** An empty page on 127.0.0.1: an origin the API does not allow, standing in for another website. */
export async function serveForeignPage(): Promise<ServedPage> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>elsewhere</title></head><body><h1>Another site</h1></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
