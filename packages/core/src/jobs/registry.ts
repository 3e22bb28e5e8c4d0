import { maintenanceJob, MAINTENANCE_INTERVAL_MS } from '../tracks/maintenance.js';
import { trackCleanupJob, trackMoveJob } from '../tracks/jobs.js';
import { likeRecordJob } from '../likes/record-job.js';
import type { JobDefinition } from './types.js';

/**
 * Every kind of background job, by name; the BullMQ worker and the in-process queue both run them.
 *
 * To add one: write it with `defineJob(...)` next to its domain (e.g. `likes/like-record-job.ts`),
 * import it here and add ONE entry below. `jobs.enqueue('<name>', data)` then type-checks `data`.
 * A processor must be idempotent: it may run again after a crash or a failed attempt.
 */
export const jobRegistry = {
  'track-move': trackMoveJob,
  'track-cleanup': trackCleanupJob,
  maintenance: maintenanceJob,
  'like-record': likeRecordJob,
} as const satisfies Record<string, JobDefinition<never>>;

export type JobName = keyof typeof jobRegistry;
export type JobData<N extends JobName> = (typeof jobRegistry)[N] extends JobDefinition<infer D> ? D : never;
export type JobDefinitions = { [N in JobName]: JobDefinition<JobData<N>> };

/** Names whose job takes no data, the only kind a timer can start. */
export type ScheduledJobName = { [N in JobName]: Record<string, never> extends JobData<N> ? N : never }[JobName];

/** Jobs run on a timer by whichever worker is up (BullMQ job schedulers are shared by all of them). */
export const jobSchedules: ReadonlyArray<{ name: ScheduledJobName; everyMs: number }> = [
  { name: 'maintenance', everyMs: MAINTENANCE_INTERVAL_MS },
];
