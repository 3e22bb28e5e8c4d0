import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { withQueryDeadline } from './deadline.js';

/** First key of the two-int advisory lock: keeps these named locks apart from the track locks and anyone else's. */
const SESSION_LOCK_CLASS = 0x6c6f636b;
const STATEMENT_DEADLINE_MS = 5_000;

export class LockWaitTimeoutError extends Error {
  override name = 'LockWaitTimeoutError';
}

export interface WithLockOptions {
  /** How long to wait for the lock before giving up (default 35 s). */
  waitMs?: number;
  /** Delay between attempts to take a held lock (default 25 ms, plus jitter). */
  retryMs?: number;
}

/** Named locks that hold across every process on the database. */
export interface SessionLocks {
  /** Runs `fn` while holding the lock `name`; LockWaitTimeoutError when it stays held past `waitMs`. */
  withLock<T>(name: string, fn: () => Promise<T>, options?: WithLockOptions): Promise<T>;
  close(): Promise<void>;
}

/**
 * Session-level PostgreSQL advisory locks on one connection of their own, outside the pool: a
 * holder keeps no pool connection while it works (its work needs the pool), and a process that
 * dies frees its locks with its connection. Taken with `pg_try_advisory_lock` and retried, so one
 * waiting name never blocks the connection for the others; callers of one process queue locally
 * first, because a session may take its own advisory lock twice.
 */
export function createSessionLocks(url: string, connection: Record<string, string | number>): SessionLocks {
  // No idle_timeout: closing the connection while a lock is held would free it under its holder.
  const raw = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {}, backoff: () => 0.25, connection });
  const sql = withQueryDeadline(raw, STATEMENT_DEADLINE_MS);
  const queue = localQueue();

  const tryLock = async (name: string) => {
    const [row] = await sql.unsafe<Array<{ locked: boolean }>>('select pg_try_advisory_lock($1::int, hashtext($2)) as locked', [SESSION_LOCK_CLASS, name]);
    return row!.locked;
  };
  const unlock = (name: string) => sql.unsafe('select pg_advisory_unlock($1::int, hashtext($2))', [SESSION_LOCK_CLASS, name]);

  return {
    withLock(name, fn, options = {}) {
      const waitMs = options.waitMs ?? 35_000;
      const retryMs = options.retryMs ?? 25;
      return queue(name, async () => {
        const deadline = Date.now() + waitMs;
        while (!(await tryLock(name))) {
          if (Date.now() >= deadline) throw new LockWaitTimeoutError(`lock ${name} still held after ${waitMs} ms`);
          await sleep(retryMs + Math.floor(Math.random() * retryMs));
        }
        try {
          return await fn();
        } finally {
          // A lost connection has freed the lock already; nothing to undo then.
          await unlock(name).catch(() => {});
        }
      });
    },
    close: () => raw.end({ timeout: 5 }),
  };
}

/** Runs calls with the same name one after another, within this set of locks. */
function localQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  };
}
