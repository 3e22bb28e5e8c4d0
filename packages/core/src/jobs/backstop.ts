import type { Logger } from 'pino';
import { enqueueJob, removeJob, type JobExecutor } from './enqueue.js';
import type { JobName, JobPayloads } from './payloads.js';

/** How long a backstop waits before it runs: long enough for the inline attempt to finish first. */
export const BACKSTOP_DELAY_MS = 30_000;

/** The runAt of a backstop job, enqueued in the transaction of the change it completes. */
export const backstopRunAt = (now = Date.now()) => new Date(now + BACKSTOP_DELAY_MS);

export interface Backstop<N extends JobName> {
  name: N;
  payload: JobPayloads[N];
  jobKey: string;
}

/**
 * Does after the commit, inline, what the backstop job (already committed under `jobKey`) would
 * do: on success the backstop is removed; on failure it is brought forward to run at once. Either
 * step failing only leaves the backstop at its later start, so the work is never lost.
 */
export async function runBeforeBackstop<N extends JobName>(
  db: JobExecutor,
  logger: Logger,
  backstop: Backstop<N>,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    logger.warn({ err, job: backstop.name, key: backstop.jobKey }, 'not done inline; retrying in the background');
    await enqueueJob(db, backstop.name, backstop.payload, { jobKey: backstop.jobKey }).catch((enqueueErr: unknown) => {
      logger.warn({ err: enqueueErr, key: backstop.jobKey }, 'the background job keeps its later start');
    });
    return;
  }
  await removeJob(db, backstop.jobKey).catch((err: unknown) => {
    logger.warn({ err, key: backstop.jobKey }, 'backstop job not removed; it will find nothing to do');
  });
}
