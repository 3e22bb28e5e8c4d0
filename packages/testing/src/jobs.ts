import { sql } from 'drizzle-orm';
import type { Db } from '@plyr/db';

const IDLE_POLL_MS = 50;

/**
 * Resolves once the job queue's table holds nothing waiting, scheduled or running (jobs given up
 * for good and the periodic maintenance job aside): the signal tests wait on after a change.
 */
export async function whenJobsIdle(db: Db, { timeoutMs = 30_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.execute<{ pending: number }>(sql`
      select count(*)::int as pending from graphile_worker.jobs
      where task_identifier <> 'maintenance' and (attempts < max_attempts or locked_at is not null)`);
    if (row!.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${row!.pending} jobs still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

export interface QueuedJob {
  id: string;
  task: string;
  key: string | null;
  payload: unknown;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lockedBy: string | null;
}

/** The rows of the job queue (graphile-worker's public `jobs` view), oldest first. */
export async function queuedJobs(db: Db): Promise<QueuedJob[]> {
  const rows = await db.execute<{
    id: string;
    task: string;
    key: string | null;
    payload: unknown;
    run_at: string;
    attempts: number;
    max_attempts: number;
    locked_by: string | null;
  }>(sql`
    select j.id::text, j.task_identifier as task, j.key, p.payload, j.run_at::text, j.attempts, j.max_attempts, j.locked_by
    from graphile_worker.jobs j join graphile_worker._private_jobs p on p.id = j.id
    order by j.id`);
  return rows.map((r) => ({
    id: r.id,
    task: r.task,
    key: r.key,
    payload: r.payload,
    runAt: new Date(r.run_at),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lockedBy: r.locked_by,
  }));
}
