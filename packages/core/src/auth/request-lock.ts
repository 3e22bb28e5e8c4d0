import { setTimeout as sleep } from 'node:timers/promises';
import { requestLocalLock, type RuntimeLock } from '@atproto/oauth-client-node';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { randomToken } from './crypto.js';

/**
 * `requestLock` for the OAuth client: refresh tokens are single-use, so one account's refresh must run
 * once even when several requests on several instances need it at the same moment.
 */

export interface RequestLockOptions {
  /** How long a holder may keep the lock before Redis frees it (a crashed instance must not block forever). */
  ttlMs?: number;
  /** How long to wait for the lock before giving up. */
  waitMs?: number;
  /** Delay between attempts to take a held lock. */
  retryMs?: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

const KEY_PREFIX = 'plyr:oauth-lock:';
// Deletes the key only if it still holds our token, so a lock that expired and was re-taken survives.
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Redis lock across instances, serialised within this instance first; in-process only without Redis. */
export function createRequestLock(redis: Redis | null, logger: Logger, options: RequestLockOptions = {}): RuntimeLock {
  if (!redis) return requestLocalLock;
  const ttlMs = options.ttlMs ?? 30_000;
  const waitMs = options.waitMs ?? 35_000;
  const retryMs = options.retryMs ?? 25;
  const queue = instanceQueue();

  return <T>(name: string, fn: () => T | PromiseLike<T>): Promise<T> =>
    // Waiters of this instance queue locally, so only one of them polls Redis at a time.
    queue(name, async (): Promise<T> => {
      const key = KEY_PREFIX + name;
      const token = randomToken(16);
      try {
        await acquire(redis, key, token, ttlMs, waitMs, retryMs);
      } catch (err) {
        if (err instanceof LockTimeoutError) throw err;
        // Redis down: keep serving with the in-process lock rather than failing every signed-in write.
        logger.warn({ err, lock: name }, 'oauth request lock: Redis unavailable, falling back to in-process lock');
        return fn();
      }
      try {
        return await fn();
      } finally {
        await redis.eval(RELEASE_SCRIPT, 1, key, token).catch((err: unknown) => {
          logger.warn({ err, lock: name }, 'oauth request lock: release failed; it expires by itself');
        });
      }
    });
}

/**
 * Runs calls with the same name one after another. Per lock instance, unlike the library's
 * module-wide `requestLocalLock`: two instances in one process must meet in Redis, as two processes do.
 */
function instanceQueue() {
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

async function acquire(redis: Redis, key: string, token: string, ttlMs: number, waitMs: number, retryMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') return;
    if (Date.now() >= deadline) throw new LockTimeoutError(`lock ${key} still held after ${waitMs} ms`);
    await sleep(retryMs + Math.floor(Math.random() * retryMs));
  }
}
