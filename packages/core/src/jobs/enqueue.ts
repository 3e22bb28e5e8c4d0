import { sql } from 'drizzle-orm';
import type { Db } from '@plyr/db';
import { JOB_ATTEMPTS, type JobName, type JobPayloads } from './payloads.js';

/**
 * A drizzle database or transaction. On a transaction the job is a row written with the change:
 * it exists once the transaction commits, and never if it rolls back.
 */
export type JobExecutor = Pick<Db, 'execute'>;

export interface EnqueueOptions {
  /** Not before this instant (default: at once). */
  runAt?: Date;
  /**
   * At most one pending job per key: enqueueing again with the same key replaces the pending job
   * (payload, runAt, attempts), so rescheduling leaves one run. A job already running is left to
   * finish, without retries, and the new one runs after it.
   */
  jobKey?: string;
  /** `replace` (default) takes the new runAt; `preserve_run_at` keeps a pending job's own. */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  /** Total tries; default JOB_ATTEMPTS[name]. */
  maxAttempts?: number;
}

/** Adds a job with `graphile_worker.add_job` on `db`'s own connection; returns its id. */
export async function enqueueJob<N extends JobName>(
  db: JobExecutor,
  name: N,
  payload: JobPayloads[N],
  opts: EnqueueOptions = {},
): Promise<string> {
  const rows = await db.execute<{ id: string }>(sql`
    select (graphile_worker.add_job(
      ${name}::text,
      ${JSON.stringify(payload)}::json,
      run_at => ${opts.runAt?.toISOString() ?? null}::timestamptz,
      max_attempts => ${opts.maxAttempts ?? JOB_ATTEMPTS[name]}::int,
      job_key => ${opts.jobKey ?? null}::text,
      job_key_mode => ${opts.jobKeyMode ?? 'replace'}::text
    )).id::text as id`);
  return rows[0]!.id;
}

/** Removes the pending job with this key (a running one finishes and is not retried). */
export async function removeJob(db: JobExecutor, jobKey: string): Promise<void> {
  await db.execute(sql`select graphile_worker.remove_job(${jobKey}::text)`);
}
