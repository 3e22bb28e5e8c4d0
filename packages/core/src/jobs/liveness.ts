import pg from 'pg';
import type { Logger } from 'pino';

/** First key of the two-int advisory locks that mark a worker pool as alive. */
const POOL_LIVENESS_CLASS = 0x706c7977;
/** A pool registers within milliseconds of creation; jobs locked more recently are never judged. */
const REGISTRATION_GRACE_SECONDS = 5;

export interface PoolLiveness {
  /** Holds this pool's liveness lock for as long as this process lives. */
  register(poolId: string): Promise<void>;
  /** Hands back the jobs of pools whose process is gone (its session, and so its lock, ended). */
  releaseJobsOfDeadPools(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A killed worker leaves its jobs locked, and graphile-worker frees such locks only after four
 * hours. Each pool therefore holds a session advisory lock on a connection of its own; PostgreSQL
 * drops it when the process dies, and any live worker then unlocks the dead pool's jobs at once.
 */
export async function createPoolLiveness(connectionString: string, logger: Logger): Promise<PoolLiveness> {
  const own = new Set<string>();
  let client: pg.Client | null = null;

  const connect = async (): Promise<pg.Client> => {
    if (client) return client;
    const fresh = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
    fresh.on('error', (err) => {
      logger.warn({ err: { message: err.message } }, 'job worker: liveness connection lost; reconnecting');
      if (client === fresh) client = null;
    });
    await fresh.connect();
    client = fresh;
    // A new session holds none of the old locks: take them again.
    for (const poolId of own) await lock(fresh, poolId);
    return fresh;
  };
  const lock = (c: pg.Client, poolId: string) =>
    c.query('select pg_advisory_lock($1::int, hashtext($2))', [POOL_LIVENESS_CLASS, poolId]);

  await connect();
  return {
    async register(poolId) {
      own.add(poolId);
      await lock(await connect(), poolId);
    },

    async releaseJobsOfDeadPools() {
      const c = await connect();
      const { rows } = await c.query<{ locked_by: string }>(
        `select distinct locked_by from graphile_worker.jobs
         where locked_by is not null and locked_at < now() - make_interval(secs => $1)`,
        [REGISTRATION_GRACE_SECONDS],
      );
      let released = 0;
      for (const { locked_by: poolId } of rows) {
        if (own.has(poolId)) continue;
        const { rows: probe } = await c.query<{ free: boolean }>(
          'select pg_try_advisory_lock($1::int, hashtext($2)) as free',
          [POOL_LIVENESS_CLASS, poolId],
        );
        if (!probe[0]!.free) continue;
        await c.query('select pg_advisory_unlock($1::int, hashtext($2))', [POOL_LIVENESS_CLASS, poolId]);
        await c.query('select graphile_worker.force_unlock_workers($1::text[])', [[poolId]]);
        logger.warn({ workerPool: poolId }, 'job worker: released the jobs of a worker that is gone');
        released += 1;
      }
      return released;
    },

    async close() {
      own.clear();
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
