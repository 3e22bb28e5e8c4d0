import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './job.js';

/** Closed-loop GET load with autocannon: the fastest client here, used wherever its parser is right. */
export async function autocannonLoad(job: LoadJob): Promise<LoadResult> {
  // The typings give the promise form no `stop`; at run time it is the instance, which has one.
  const run = autocannon({
    url: job.url,
    connections: job.connections,
    timeout: 10,
    requests: job.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers ?? {} })),
    ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.durationSeconds ?? 10 }),
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  if (job.maxSeconds !== undefined) setTimeout(() => run.stop(), job.maxSeconds * 1000).unref();
  return summarize(await run);
}

function summarize(result: autocannon.Result): LoadResult {
  // The typings omit the per-status counts autocannon reports.
  const stats = (result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats;
  const statuses = Object.fromEntries(Object.entries(stats).map(([code, { count }]) => [code, count]));
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  const seconds = (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000;
  return {
    requests,
    sent: result.requests.sent,
    seconds,
    rps: Math.round(requests / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}
