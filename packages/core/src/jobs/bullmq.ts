import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Services } from '../services.js';
import { jobSchedules, type JobDefinitions, type JobName } from './registry.js';
import type { Jobs } from './index.js';
import {
  ENQUEUE_TIMEOUT_MS,
  JobEnqueueError,
  PermanentJobError,
  RETRY_BASE_DELAY_MS,
  WORKER_CONCURRENCY,
} from './types.js';

export const QUEUE_NAME = 'plyr-jobs';
const IDLE_POLL_MS = 50;

/**
 * Durable jobs on Redis: they survive a crash of the process that ran them, and any number of
 * processes (the API's own worker, `pnpm worker`) share the queue.
 */
export async function createBullmqJobs(
  base: Omit<Services, 'jobs'>,
  redisUrl: string,
  runWorker: boolean,
  definitions: JobDefinitions,
): Promise<Jobs> {
  const { logger } = base;
  // BullMQ needs connections that wait out a Redis outage (the app's shared client fails fast instead).
  const connect = (role: string) => {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, connectTimeout: 2_000 });
    let down = false;
    connection.on('error', (err) => {
      if (!down) logger.error({ err: { message: err.message }, role }, 'job queue: redis unreachable');
      down = true;
    });
    connection.on('ready', () => (down = false));
    return connection;
  };
  const queueConnection = connect('queue');
  const queue = new Queue(QUEUE_NAME, {
    connection: queueConnection,
    defaultJobOptions: {
      removeOnComplete: { age: 3_600, count: 1_000 },
      removeOnFail: { age: 7 * 86_400, count: 5_000 },
    },
  });
  queue.on('error', (err) => logger.error({ err }, 'job queue error'));

  const optionsFor = (name: JobName): JobsOptions => ({
    attempts: definitions[name].attempts,
    backoff: { type: 'exponential', delay: RETRY_BASE_DELAY_MS },
  });

  const withTimeout = <T>(work: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobEnqueueError(`${what}: redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };

  // One MULTI, so a job moving between lists (delayed → active, active → delayed) is never missed;
  // delayed jobs a scheduler parks until their next run (ids `repeat:…`) are not pending work.
  const pendingCount = async (): Promise<number> => {
    const { wait, active, prioritized, delayed } = queue.keys;
    const replies = await queueConnection
      .multi()
      .llen(wait!)
      .llen(active!)
      .zcard(prioritized!)
      .zrange(delayed!, 0, -1)
      .exec();
    if (!replies) throw new Error('job queue: the pending-count transaction was aborted');
    const [waiting, running, queued, delayedIds] = replies.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [number, number, number, string[]];
    return waiting + running + queued + delayedIds.filter((id) => !id.startsWith('repeat:')).length;
  };

  let worker: Worker | null = null;
  const workerConnection = runWorker ? connect('worker') : null;
  const jobs: Jobs = {
    async enqueue(name, data, opts = {}) {
      const job = await withTimeout(
        queue.add(name, data, {
          ...optionsFor(name),
          ...(opts.delayMs === undefined ? {} : { delay: opts.delayMs }),
          ...(opts.dedupeId === undefined ? {} : { deduplication: { id: opts.dedupeId } }),
        }),
        `enqueue ${name}`,
      );
      return job.id!;
    },

    async whenIdle({ timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      while ((await pendingCount()) > 0) {
        if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
      }
    },

    async close() {
      // Lets running jobs finish; anything left stays in Redis for the next worker.
      await worker?.close();
      await queue.close();
      // BullMQ leaves connections it was handed open.
      for (const connection of [workerConnection, queueConnection]) {
        await connection?.quit().catch(() => connection.disconnect());
      }
    },
  };
  const services: Services = { ...base, jobs };

  if (workerConnection) {
    worker = new Worker(
      QUEUE_NAME,
      async (job: Job) => {
        const name = job.name as JobName;
        const definition = definitions[name];
        if (!definition) throw new UnrecoverableError(`no processor for job "${job.name}"`);
        const attempt = job.attemptsMade + 1;
        const jobLogger = logger.child({ job: name, jobId: job.id, attempt });
        try {
          await (definition.process as (d: unknown, c: unknown) => Promise<void>)(job.data, {
            services,
            logger: jobLogger,
            jobId: job.id!,
            attempt,
          });
        } catch (err) {
          if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      { connection: workerConnection, concurrency: WORKER_CONCURRENCY },
    );
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      const fields = { err, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade };
      if (final) logger.error(fields, 'job failed for good');
      else logger.warn(fields, 'job attempt failed; retrying');
    });
    worker.on('error', (err) => logger.error({ err }, 'job worker error'));
    // Not awaited: a Redis outage at boot must not stop the API; the schedule is set once Redis answers.
    for (const { name, everyMs } of jobSchedules) {
      queue
        .upsertJobScheduler(`schedule:${name}`, { every: everyMs }, { name, data: {}, opts: optionsFor(name) })
        .catch((err: unknown) => logger.error({ err, job: name }, 'could not schedule a periodic job'));
    }
  }
  return jobs;
}
