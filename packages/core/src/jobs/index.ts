import type { Services } from '../services.js';
import { createBullmqJobs } from './bullmq.js';
import { createInProcessJobs } from './in-process.js';
import { jobRegistry, type JobData, type JobDefinitions, type JobName } from './registry.js';
import type { EnqueueOptions } from './types.js';

export interface Jobs {
  /** Hands a job to the queue and returns its id; JobEnqueueError when the queue does not answer in time. */
  enqueue<N extends JobName>(name: N, data: JobData<N>, opts?: EnqueueOptions): Promise<string>;
  /** Resolves once nothing is waiting, running or delayed for a retry (periodic schedules aside). */
  whenIdle(opts?: { timeoutMs?: number }): Promise<void>;
  /** Stops taking work and lets running jobs finish. */
  close(): Promise<void>;
}

export interface CreateJobsOptions {
  /** BullMQ on this Redis; without it jobs run in this process. */
  redisUrl?: string;
  /** Process jobs here (the API's default); false only enqueues, for a separate `pnpm worker`. */
  runWorker: boolean;
  /** Replaces registered processors, e.g. a test worker whose move fails between two steps. */
  processors?: Partial<JobDefinitions>;
}

/** Without Redis nobody else could run the jobs, so they always run in this process. */
export async function createJobs(base: Omit<Services, 'jobs'>, opts: CreateJobsOptions): Promise<Jobs> {
  const definitions = { ...jobRegistry, ...opts.processors } as JobDefinitions;
  if (opts.redisUrl) return createBullmqJobs(base, opts.redisUrl, opts.runWorker, definitions);
  return createInProcessJobs(base, definitions);
}

export { jobRegistry, type JobData, type JobDefinitions, type JobName } from './registry.js';
export {
  defineJob,
  JobEnqueueError,
  PermanentJobError,
  type EnqueueOptions,
  type JobContext,
  type JobDefinition,
} from './types.js';
