import { sql } from 'drizzle-orm';
import type { Db } from '@plyr/db';

/** First key of the two-int advisory lock: keeps plyr's track locks apart from any other user of the database. */
const TRACK_LOCK_CLASS = 0x706c7972;
/**
 * Longest wait for another holder (a move step, a delete) before the caller gives up and retries
 * later; under the connection's statement_timeout (packages/db), which would end a longer wait anyway.
 */
export const TRACK_LOCK_TIMEOUT = '3s';

/**
 * Runs `fn` while holding a Postgres advisory lock for this track, across every process on the
 * database: only one move or delete touches a track's objects at a time. The lock lives in a
 * transaction of its own that writes nothing; `fn`'s queries run on other connections and commit
 * independently, and the lock is released when that transaction ends, also if the process dies.
 */
export async function withTrackLock<T>(db: Db, trackId: string, fn: () => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // SET takes no bind parameters; set_config(…, true) is its transaction-local form.
    await tx.execute(sql`select set_config('lock_timeout', ${TRACK_LOCK_TIMEOUT}, true)`);
    await tx.execute(sql`select pg_advisory_xact_lock(${TRACK_LOCK_CLASS}::int, hashtext(${trackId}))`);
    return fn();
  });
}
