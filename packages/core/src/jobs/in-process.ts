import { randomUUID } from 'node:crypto';
import type { Services } from '../services.js';
import { jobSchedules, type JobDefinitions, type JobName } from './registry.js';
import type { Jobs } from './index.js';
import { JobEnqueueError, PermanentJobError, RETRY_BASE_DELAY_MS, WORKER_CONCURRENCY } from './types.js';

/**
 * The queue without Redis: same processors, same retries with exponential backoff, one process.
 * Not durable across restarts; the periodic maintenance job re-enqueues work a crash interrupted.
 */
export function createInProcessJobs(base: Omit<Services, 'jobs'>, definitions: JobDefinitions): Jobs {
  const ready: Array<() => Promise<void>> = [];
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const dedupeIds = new Map<string, string>();
  let outstanding = 0;
  let idleWaiters: Array<() => void> = [];
  let closed = false;

  const settleIdle = () => {
    if (outstanding > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (running.size < WORKER_CONCURRENCY && ready.length > 0) {
      const task = ready.shift()!;
      const run: Promise<void> = task().finally(() => {
        running.delete(run);
        pump();
      });
      running.add(run);
    }
  };

  const schedule = (task: () => Promise<void>, delayMs: number) => {
    if (delayMs <= 0) {
      ready.push(task);
      pump();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      ready.push(task);
      pump();
    }, delayMs);
    timers.add(timer);
  };

  const jobs: Jobs = {
    async enqueue(name, data, opts = {}) {
      if (closed) throw new JobEnqueueError('the job queue is closed');
      const existing = opts.dedupeId === undefined ? undefined : dedupeIds.get(opts.dedupeId);
      if (existing) return existing;
      const definition = definitions[name as JobName];
      if (!definition) throw new TypeError(`no processor registered for job "${name}" (see jobs/registry.ts)`);
      const id = randomUUID();
      if (opts.dedupeId !== undefined) dedupeIds.set(opts.dedupeId, id);
      outstanding += 1;
      const finish = () => {
        if (opts.dedupeId !== undefined) dedupeIds.delete(opts.dedupeId);
        outstanding -= 1;
        settleIdle();
      };
      const attemptRun = async (attempt: number): Promise<void> => {
        const logger = base.logger.child({ job: name, jobId: id, attempt });
        try {
          await (definition.process as (d: unknown, c: unknown) => Promise<void>)(data, {
            services,
            logger,
            jobId: id,
            attempt,
          });
          finish();
        } catch (err) {
          if (closed || err instanceof PermanentJobError || attempt >= definition.attempts) {
            logger.error({ err }, 'job failed for good');
            finish();
            return;
          }
          logger.warn({ err }, 'job attempt failed; retrying');
          schedule(() => attemptRun(attempt + 1), RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
        }
      };
      schedule(() => attemptRun(1), opts.delayMs ?? 0);
      return id;
    },

    whenIdle({ timeoutMs = 30_000 } = {}) {
      if (outstanding === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`jobs still running after ${timeoutMs} ms`)), timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },

    async close() {
      closed = true;
      for (const interval of intervals) clearInterval(interval);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      ready.length = 0;
      await Promise.allSettled([...running]);
      outstanding = 0;
      settleIdle();
    },
  };
  const services: Services = { ...base, jobs };

  const intervals = jobSchedules.map(({ name, everyMs }) =>
    setInterval(() => {
      jobs.enqueue(name, {}, { dedupeId: `schedule:${name}` }).catch(() => {});
    }, everyMs).unref(),
  );
  return jobs;
}
