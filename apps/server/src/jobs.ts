import type { Services } from '@plyr/core';
import { startJobRunner, type JobProcessors, type JobRunner } from '@plyr/core/jobs';
import { syncLikeRecord } from '@plyr/core/likes';
import { runReconcile } from '@plyr/core/reconcile';
import { cleanupDeletedTrack, MAINTENANCE_INTERVAL_MINUTES, releaseTrack, runMaintenance, syncTrack } from '@plyr/core/tracks';

/** What the processors may touch: each one takes the slice it uses. */
export type JobDeps = Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'logger' | 'hot'> & Partial<Pick<Services, 'metrics'>>;

/**
 * The job registry: name → processor. Adding a kind of job: its payload type and attempts in
 * core's jobs/payloads.ts, its processor next to its domain, one entry here.
 */
export function jobProcessors(deps: JobDeps): JobProcessors {
  return {
    'track-move': (data) => syncTrack(deps, data),
    'track-release': (data) => releaseTrack(deps, data),
    'track-cleanup': (data) => cleanupDeletedTrack(deps, data),
    'like-record': (data) => syncLikeRecord(deps, data),
    maintenance: () => runMaintenance(deps),
    // The run logs its own summary line; what it could not repair waits for an operator or the next run.
    reconcile: async () => {
      await runReconcile(deps, { repair: 'scheduled' });
    },
  };
}

/** RECONCILE_SCHEDULE's default: the drift check at the top of every hour. */
export const DEFAULT_RECONCILE_SCHEDULE = '0 * * * *';

/**
 * Periodic jobs; graphile-worker's crontab makes each tick run once across all workers. The drift
 * check runs on `reconcileSchedule` (null: never); `fill=1h` runs a tick missed while no worker was up.
 */
export function jobCrontab(reconcileSchedule: string | null = DEFAULT_RECONCILE_SCHEDULE): string {
  const lines = [`*/${MAINTENANCE_INTERVAL_MINUTES} * * * * maintenance ?max=1&jobKey=maintenance`];
  if (reconcileSchedule !== null) lines.push(`${reconcileSchedule} reconcile ?max=1&jobKey=reconcile&fill=1h`);
  return lines.join('\n');
}

export interface JobWorkerOptions {
  databaseUrl: string;
  deps: JobDeps;
  /** RECONCILE_SCHEDULE: crontab time fields of the drift check, null for none; the default is hourly. */
  reconcileSchedule?: string | null;
  /** Replaces registered processors, e.g. a test worker whose move stops between two steps. */
  processors?: Partial<JobProcessors>;
}

/** The worker the API runs in-process (WORKER_ENABLED) and `pnpm worker` runs alone. */
export function startJobWorker(opts: JobWorkerOptions): Promise<JobRunner> {
  return startJobRunner({
    databaseUrl: opts.databaseUrl,
    processors: { ...jobProcessors(opts.deps), ...opts.processors },
    logger: opts.deps.logger,
    metrics: opts.deps.metrics,
    crontab: jobCrontab(opts.reconcileSchedule),
  });
}
