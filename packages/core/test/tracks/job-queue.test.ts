import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedisUrl } from '../../../testing/src/redis.js';
import { startTcpProxy, type TcpProxy } from '../../../testing/src/tcp-proxy.js';
import { createJobs, defineJob, JobEnqueueError, PermanentJobError, type Jobs } from '../../src/jobs/index.js';
import type { TrackMoveData } from '../../src/tracks/index.js';
import type { Services } from '../../src/services.js';

/** The queue itself, on Redis (BullMQ) and in-process: retries with backoff, permanent failures, dedupe. */

let redisUrl: string;
beforeAll(async () => {
  redisUrl = await createTestRedisUrl();
});

// Processors here touch nothing but their own bookkeeping.
const base = { logger: pino({ enabled: false }) } as unknown as Omit<Services, 'jobs'>;
const data = (trackId: string): TrackMoveData => ({ trackId, fileId: 'f'.repeat(32), fileType: 'mp3' });
const open: Jobs[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((j) => j.close()));
});

describe.each([
  ['BullMQ on Redis', () => redisUrl],
  ['in-process', () => undefined],
])('%s', (_name, url) => {
  async function start(process: (d: TrackMoveData) => Promise<void>, attempts = 4): Promise<Jobs> {
    const jobs = await createJobs(base, {
      redisUrl: url(),
      runWorker: true,
      processors: { 'track-move': defineJob({ attempts, process }) },
    });
    open.push(jobs);
    return jobs;
  }

  it('retries a failing job with exponential backoff until it succeeds, and whenIdle waits for it', async () => {
    const tries: number[] = [];
    const jobs = await start(async () => {
      tries.push(Date.now());
      if (tries.length < 3) throw new Error('transient');
    });
    await jobs.enqueue('track-move', data('retry'));
    await jobs.whenIdle();
    expect(tries).toHaveLength(3);
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(900);
    expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(1_900);
  });

  it('stops after the allowed attempts, and at once on a PermanentJobError', async () => {
    let transient = 0;
    let permanent = 0;
    const jobs = await start(async (d) => {
      if (d.trackId === 'permanent') {
        permanent += 1;
        throw new PermanentJobError('cannot ever work');
      }
      transient += 1;
      throw new Error('always');
    }, 2);
    await jobs.enqueue('track-move', data('permanent'));
    await jobs.enqueue('track-move', data('transient'));
    await jobs.whenIdle();
    expect(permanent).toBe(1);
    expect(transient).toBe(2);
  });

  it('runs a job once when it is enqueued again under the same dedupe id while pending', async () => {
    let runs = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const jobs = await start(async () => {
      runs += 1;
      await held;
    });
    const first = await jobs.enqueue('track-move', data('dedupe'), { dedupeId: 'same' });
    const second = await jobs.enqueue('track-move', data('dedupe'), { dedupeId: 'same' });
    release();
    await jobs.whenIdle();
    expect(runs).toBe(1);
    expect(second).toBe(first);
  });
});

describe('BullMQ with Redis unreachable', () => {
  let proxy: TcpProxy;
  afterAll(async () => {
    await proxy?.close();
  });

  it('refuses to enqueue within the timeout instead of hanging, and works again once Redis is back', async () => {
    const target = new URL(redisUrl);
    proxy = await startTcpProxy(Number(target.port || 6379));
    const proxied = new URL(redisUrl);
    proxied.port = String(proxy.port);
    const ran: string[] = [];
    const jobs = await createJobs(base, {
      redisUrl: proxied.toString(),
      runWorker: true,
      processors: { 'track-move': defineJob({ attempts: 1, process: async (d) => void ran.push(d.trackId) }) },
    });
    open.push(jobs);
    await proxy.stop();
    const started = Date.now();
    await expect(jobs.enqueue('track-move', data('down'))).rejects.toBeInstanceOf(JobEnqueueError);
    expect(Date.now() - started).toBeLessThan(7_000);

    await proxy.start();
    await jobs.enqueue('track-move', data('back'));
    await jobs.whenIdle();
    expect(ran).toContain('back');
  });
});
