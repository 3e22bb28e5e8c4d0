import type { Services } from '@plyr/core';
import { startJobRunner, type JobProcessors, type JobRunner } from '@plyr/core/jobs';
import { syncLikeRecord } from '@plyr/core/likes';
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
  };
}

/** Periodic jobs; graphile-worker's crontab makes each tick run once across all workers. */
export const JOB_CRONTAB = `*/${MAINTENANCE_INTERVAL_MINUTES} * * * * maintenance ?max=1&jobKey=maintenance`;

export interface JobWorkerOptions {
  databaseUrl: string;
  deps: JobDeps;
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
    crontab: JOB_CRONTAB,
  });
}
