import type { RuntimeLock } from '@atproto/oauth-client-node';
import { LockWaitTimeoutError, type SessionLocks } from '@plyr/db';

/**
 * `requestLock` for the OAuth client: refresh tokens are single-use, so one account's refresh must run
 * once even when several requests on several instances need it at the same moment. The lock is a
 * PostgreSQL advisory lock, in the database every instance shares and the refreshed tokens are
 * stored in: it holds whatever Redis does (an in-process fallback would let two instances refresh).
 */

export interface RequestLockOptions {
  /** How long to wait for the lock before giving up (the OAuth client gives a refresh 30 s). */
  waitMs?: number;
  /** Delay between attempts to take a held lock. */
  retryMs?: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

const LOCK_PREFIX = 'oauth-request:';

export function createRequestLock(locks: SessionLocks, options: RequestLockOptions = {}): RuntimeLock {
  const lockOptions = { waitMs: options.waitMs ?? 35_000, retryMs: options.retryMs ?? 25 };
  return async <T>(name: string, fn: () => T | PromiseLike<T>): Promise<T> => {
    try {
      return await locks.withLock(LOCK_PREFIX + name, async () => fn(), lockOptions);
    } catch (err) {
      if (err instanceof LockWaitTimeoutError) throw new LockTimeoutError(err.message, { cause: err });
      throw err;
    }
  };
}
