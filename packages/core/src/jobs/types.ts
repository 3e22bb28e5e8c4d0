import type { Logger } from 'pino';
import type { Services } from '../services.js';

/** What a processor gets besides its data. `services.jobs` lets a job enqueue follow-up jobs. */
export interface JobContext {
  services: Services;
  logger: Logger;
  jobId: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
}

/** A named kind of background work: what it does and how often it may be tried. */
export interface JobDefinition<Data> {
  /** Total tries before the job is given up (retries back off exponentially from RETRY_BASE_DELAY_MS). */
  attempts: number;
  process(data: Data, ctx: JobContext): Promise<void>;
}

/** Keeps `Data` inferred at the definition site, so `enqueue` checks the payload of each name. */
export function defineJob<Data>(definition: JobDefinition<Data>): JobDefinition<Data> {
  return definition;
}

/** Thrown by a processor when retrying cannot help (e.g. the thing it works on is gone for good). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/** The queue did not accept a job in time (Redis unreachable); the caller decides whether that matters. */
export class JobEnqueueError extends Error {
  override readonly name = 'JobEnqueueError';
}

export interface EnqueueOptions {
  /** While a job with this id is waiting, delayed or running, enqueueing another one is a no-op. */
  dedupeId?: string;
  delayMs?: number;
}

/** First retry after this; each following one waits twice as long. */
export const RETRY_BASE_DELAY_MS = 1_000;
/** Jobs one process runs at once. */
export const WORKER_CONCURRENCY = 4;
/** Budget for handing a job to the queue. */
export const ENQUEUE_TIMEOUT_MS = 5_000;
