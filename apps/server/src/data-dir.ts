import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { lock } from 'proper-lockfile';
import type { Env } from './env.js';
import { StartupError } from './startup-errors.js';

/** A lock not refreshed for this long belongs to a process that died; the next start takes it over. */
const LOCK_STALE_MS = 10_000;

/**
 * Makes DATA_DIR ready for what keeps state in it here (embedded PostgreSQL, embedded S3, the
 * generated session key): created, writable, and, when an embedded server uses it, held by this
 * process alone. Returns the release of that hold. With every service external nothing is touched,
 * so a read-only image runs as is.
 */
export async function prepareDataDir(env: Env, logger: Logger): Promise<() => Promise<void>> {
  const embeddedServers = !env.databaseUrl || !env.s3.endpoint;
  if (!embeddedServers && env.sessionEncryptionKey) return async () => {};
  const dir = env.dataDir;
  try {
    mkdirSync(dir, { recursive: true });
    // mkdir succeeds on an existing directory of a read-only or full disk: only a write tells.
    const probe = join(dir, `.write-check-${process.pid}`);
    writeFileSync(probe, 'plyr');
    rmSync(probe);
  } catch (err) {
    throw dataDirError(causeIn(err, dir), dir);
  }
  // Two servers on one PostgreSQL cluster or one bucket directory would corrupt them; a session key is shareable.
  if (!embeddedServers) return async () => {};
  try {
    return await lock(dir, {
      lockfilePath: join(dir, 'plyr.lock'),
      stale: LOCK_STALE_MS,
      onCompromised: (err) => logger.error({ err: { message: err.message } }, 'DATA_DIR lock lost (the event loop stalled?); keep one process per DATA_DIR'),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw dataDirError(err, dir);
    throw new StartupError(
      `DATA_DIR ${dir} is in use by another plyr process (its embedded PostgreSQL and S3 server cannot be shared); stop that process or set another DATA_DIR (a process that was killed holds it for up to ${LOCK_STALE_MS / 1000} s)`,
    );
  }
}

/** A recursive mkdir on a read-only disk reports ENOENT; the nearest directory that exists tells the cause. */
function causeIn(err: unknown, dir: string): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  let existing = dirname(dir);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
    return err;
  } catch (cause) {
    return cause;
  }
}

function dataDirError(err: unknown, dir: string): unknown {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EROFS':
      return new StartupError(`DATA_DIR ${dir} is on a read-only file system; set DATA_DIR to a writable directory`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new StartupError(`DATA_DIR ${dir}: no space left on its disk; free some space or set DATA_DIR to another disk`);
    case 'EACCES':
    case 'EPERM':
      return new StartupError(`DATA_DIR ${dir} is not writable by user ${userInfo().username}; change its permissions or set DATA_DIR to a directory that user owns`);
    case 'ENOTDIR':
    case 'EEXIST':
      return new StartupError(`DATA_DIR ${dir} is not a directory (a file is in the way); set DATA_DIR to a directory`);
    default:
      return err;
  }
}
