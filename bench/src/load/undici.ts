import { performance } from 'node:perf_hooks';
import { errors, Pool } from 'undici';
import type { LoadJob, LoadRequest, LoadResult } from './job.js';
import { percentileMs } from './percentile.js';

const TIMEOUT_MS = 10_000;
/** undici's own socket timeouts, counted as timeouts as autocannon counts its own. */
const TIMEOUT_ERRORS = [errors.HeadersTimeoutError, errors.BodyTimeoutError];

interface Tally {
  sent: number;
  latenciesMs: number[];
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

/**
 * Load through undici's Pool, which knows a HEAD answer has no body (autocannon's parser waits for
 * one). Closed loop by default; open loop when the job gives `ratePerSecond`.
 */
export async function undiciLoad(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.url, { connections: job.connections, pipelining: 1, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const tally: Tally = { sent: 0, latenciesMs: [], statuses: {}, errors: 0, timeouts: 0 };
  const start = performance.now();
  try {
    if (job.ratePerSecond !== undefined) await openLoop(pool, job, job.ratePerSecond, tally, start);
    else await closedLoop(pool, job, tally, start);
  } finally {
    await pool.close();
  }
  return summarize(tally, (performance.now() - start) / 1000);
}

/** One request; its latency counts from `sinceMs` (the send, or in an open loop the scheduled send). */
async function send(pool: Pool, request: LoadRequest, tally: Tally, sinceMs: number): Promise<void> {
  tally.sent += 1;
  try {
    const { statusCode, body } = await pool.request({ method: request.method, path: request.path, headers: request.headers ?? {} });
    await body.dump();
    tally.latenciesMs.push(performance.now() - sinceMs);
    tally.statuses[statusCode] = (tally.statuses[statusCode] ?? 0) + 1;
  } catch (err) {
    tally.errors += 1;
    if (TIMEOUT_ERRORS.some((type) => err instanceof type)) tally.timeouts += 1;
  }
}

function endOf(job: LoadJob, start: number): number {
  const seconds = job.amount === undefined ? (job.durationSeconds ?? 10) : (job.maxSeconds ?? Infinity);
  return start + seconds * 1000;
}

/** `connections` senders, each sending its next request when its previous one has answered. */
async function closedLoop(pool: Pool, job: LoadJob, tally: Tally, start: number): Promise<void> {
  const end = endOf(job, start);
  let issued = 0;
  const sender = async () => {
    for (let i = 0; performance.now() < end && (job.amount === undefined || issued < job.amount); i++) {
      issued += 1;
      await send(pool, job.requests[i % job.requests.length]!, tally, performance.now());
    }
  };
  await Promise.all(Array.from({ length: job.connections }, sender));
}

/** Request n is due at start + n / rate and sent then, however many earlier ones are still waiting. */
async function openLoop(pool: Pool, job: LoadJob, rate: number, tally: Tally, start: number): Promise<void> {
  const intervalMs = 1000 / rate;
  const total = job.amount ?? Math.round((job.durationSeconds ?? 10) * rate);
  const end = endOf(job, start);
  const inFlight: Array<Promise<void>> = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (; sent < total && start + sent * intervalMs <= now; sent++) {
        inFlight.push(send(pool, job.requests[sent % job.requests.length]!, tally, start + sent * intervalMs));
      }
      if (sent >= total || now >= end) return resolve();
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
}

function summarize(tally: Tally, seconds: number): LoadResult {
  const requests = tally.latenciesMs.length;
  return {
    requests,
    sent: tally.sent,
    seconds,
    rps: Math.round(requests / seconds),
    p50Ms: percentileMs(tally.latenciesMs, 0.5),
    p99Ms: percentileMs(tally.latenciesMs, 0.99),
    maxMs: percentileMs(tally.latenciesMs, 1),
    errors: tally.errors,
    timeouts: tally.timeouts,
    statuses: tally.statuses,
  };
}
