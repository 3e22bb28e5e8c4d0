import { EventEmitter } from 'node:events';
import { Logger as GraphileLogger, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { PermanentJobError } from './errors.js';
import { createPoolLiveness } from './liveness.js';
import type { JobName, JobPayloads } from './payloads.js';

/** What a processor gets besides its payload. */
export interface JobRunContext {
  logger: Logger;
  jobId: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
}

/** A processor must be idempotent: it may run again after a crash or a failed attempt. */
export type JobProcessor<N extends JobName> = (payload: JobPayloads[N], ctx: JobRunContext) => Promise<void>;
export type JobProcessors = { [N in JobName]: JobProcessor<N> };

export interface JobRunnerOptions {
  /** The database the jobs are enqueued in (the embedded server's URL in embedded mode). */
  databaseUrl: string;
  processors: JobProcessors;
  logger: Logger;
  /** graphile-worker crontab lines for periodic jobs; every runner may carry them, each tick runs once. */
  crontab?: string;
  /** Jobs this process runs at once. */
  concurrency?: number;
  /** Counts each run that completes or fails, by job name. */
  metrics?: Metrics;
}

export interface JobRunner {
  /** Stops taking jobs and lets running ones finish; what is left stays queued for the next worker. */
  close(): Promise<void>;
}

export const WORKER_CONCURRENCY = 4;
/** How often a worker looks for jobs that came due (retries, runAt) and for jobs of dead workers. */
const POLL_INTERVAL_MS = 1_000;
const LIVENESS_CHECK_MS = 5_000;

/**
 * Runs queued jobs in this process: new ones start on LISTEN/NOTIFY the moment their transaction
 * commits; any number of runners share the queue and each job is locked by one of them.
 */
export async function startJobRunner(opts: JobRunnerOptions): Promise<JobRunner> {
  const { logger } = opts;
  const concurrency = opts.concurrency ?? WORKER_CONCURRENCY;
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: concurrency + 2, connectionTimeoutMillis: 5_000 });
  // An idle connection dropped by the server must not take the process down; the pool reconnects.
  const lost = (err: Error) => logger.warn({ err: { message: err.message } }, 'job worker: database connection lost');
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  const liveness = await createPoolLiveness(opts.databaseUrl, logger);
  const events: WorkerEvents = new EventEmitter();
  const registered: Promise<void>[] = [];
  events.on('pool:create', ({ workerPool }) => {
    registered.push(liveness.register(workerPool.id));
  });

  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      concurrency,
      pollInterval: POLL_INTERVAL_MS,
      noHandleSignals: true,
      taskList: taskList(opts.processors, logger, opts.metrics),
      crontab: opts.crontab ?? '',
      logger: graphileLogger(logger),
      events,
    });
    await Promise.all(registered);
  } catch (err) {
    await liveness.close();
    await pool.end();
    throw err;
  }

  const releaseDeadPools = () =>
    liveness.releaseJobsOfDeadPools().catch((err: unknown) => logger.warn({ err }, 'job worker: could not check for dead workers'));
  await releaseDeadPools();
  const timer = setInterval(() => void releaseDeadPools(), LIVENESS_CHECK_MS);
  timer.unref();

  return {
    async close() {
      clearInterval(timer);
      await runner.stop();
      await liveness.close();
      await pool.end();
    },
  };
}

function taskList(processors: JobProcessors, logger: Logger, metrics: Metrics | undefined): TaskList {
  const tasks: TaskList = {};
  for (const name of Object.keys(processors) as JobName[]) {
    const process = processors[name] as (payload: unknown, ctx: JobRunContext) => Promise<void>;
    tasks[name] = async (payload, { job }) => {
      const jobLogger = logger.child({ job: name, jobId: job.id, attempt: job.attempts });
      try {
        await process(payload, { logger: jobLogger, jobId: job.id, attempt: job.attempts });
        metrics?.jobsFinished.inc({ name, result: 'completed' });
        jobLogger.info({ key: job.key }, 'job done');
      } catch (err) {
        metrics?.jobsFinished.inc({ name, result: 'failed' });
        // Completing the job is how it is given up: retrying cannot help.
        if (err instanceof PermanentJobError) {
          jobLogger.error({ err, key: job.key }, 'job failed for good');
          return;
        }
        if (job.attempts >= job.max_attempts) jobLogger.error({ err, key: job.key }, 'job failed for good');
        else jobLogger.warn({ err, key: job.key }, 'job attempt failed; retrying');
        throw err;
      }
    };
  }
  return tasks;
}

/** graphile-worker's own lines into pino; a job's failure is logged once, by the task above. */
function graphileLogger(logger: Logger): GraphileLogger {
  const worker = logger.child({ component: 'graphile-worker' });
  return new GraphileLogger(() => (level, message, meta) => {
    if (meta?.failure) return;
    if (level === 'error') worker.error(meta ?? {}, message);
    else if (level === 'warning') worker.warn(meta ?? {}, message);
    else worker.debug(message);
  });
}
