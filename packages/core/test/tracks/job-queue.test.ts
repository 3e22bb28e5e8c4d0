import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { queuedJobs, whenJobsIdle } from '@plyr/testing';
import { startTcpProxy, type TcpProxy } from '@plyr/testing';
import {
  enqueueJob,
  PermanentJobError,
  startJobRunner,
  type JobProcessors,
  type JobRunner,
  type TrackMoveData,
} from '../../src/jobs/index.js';

/** The queue itself, on PostgreSQL: retries with backoff, permanent failures, keys, runAt, transactions, several runners. */

let database: { url: string; drop: () => Promise<void> };
let handle: DbHandle;
const logger = pino({ enabled: false });
const data = (trackId: string): TrackMoveData => ({ trackId, fileId: 'f'.repeat(32), fileType: 'mp3' });
const open: JobRunner[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  handle = await createDb({ url: database.url, max: 4 });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await handle?.close();
  await database?.drop();
});

const idle = () => whenJobsIdle(handle.db, { timeoutMs: 60_000 });
const noop = async () => {};

async function start(move: (d: TrackMoveData, attempt: number) => Promise<void>): Promise<JobRunner> {
  const processors: JobProcessors = {
    'track-move': (d, ctx) => move(d, ctx.attempt),
    'track-release': noop,
    'track-cleanup': noop,
    'like-record': noop,
    maintenance: noop,
    reconcile: noop,
  };
  const runner = await startJobRunner({ databaseUrl: database.url, processors, logger });
  open.push(runner);
  return runner;
}

it('retries a failing job with exponential backoff until it succeeds, and whenIdle waits for it', async () => {
  const tries: number[] = [];
  await start(async () => {
    tries.push(Date.now());
    if (tries.length < 3) throw new Error('transient');
  });
  await enqueueJob(handle.db, 'track-move', data('retry'));
  await idle();
  expect(tries).toHaveLength(3);
  expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(900);
  expect(tries[2]! - tries[1]!).toBeGreaterThanOrEqual(1_900);
});

it('stops after the allowed attempts, and at once on a PermanentJobError', async () => {
  let transient = 0;
  let permanent = 0;
  await start(async (d) => {
    if (d.trackId === 'permanent') {
      permanent += 1;
      throw new PermanentJobError('cannot ever work');
    }
    transient += 1;
    throw new Error('always');
  });
  await enqueueJob(handle.db, 'track-move', data('permanent'), { maxAttempts: 2 });
  await enqueueJob(handle.db, 'track-move', data('transient'), { maxAttempts: 2 });
  await idle();
  expect(permanent).toBe(1);
  expect(transient).toBe(2);
  // Given up, not lost: the transient one stays in the table with its error (a permanent one is done).
  expect((await queuedJobs(handle.db)).map((j) => (j.payload as TrackMoveData).trackId)).toEqual(['transient']);
  await handle.db.execute(sql`delete from graphile_worker._private_jobs`);
});

it('runs a job once when it is enqueued again under the same key while pending', async () => {
  const first = await enqueueJob(handle.db, 'track-move', data('dedupe'), { jobKey: 'same' });
  const second = await enqueueJob(handle.db, 'track-move', data('dedupe'), { jobKey: 'same' });
  let runs = 0;
  await start(async () => {
    runs += 1;
  });
  await idle();
  expect(runs).toBe(1);
  expect(second).toBe(first);
});

it('re-enqueueing under the same key replaces the scheduled job: one run, at the last runAt, with the last payload', async () => {
  const runs: Array<{ trackId: string; at: number }> = [];
  await start(async (d) => void runs.push({ trackId: d.trackId, at: Date.now() }));
  const soon = new Date(Date.now() + 1_000);
  const later = new Date(Date.now() + 3_000);
  await enqueueJob(handle.db, 'track-move', data('first plan'), { jobKey: 'release:track', runAt: soon });
  await enqueueJob(handle.db, 'track-move', data('moved plan'), { jobKey: 'release:track', runAt: later });
  expect(await queuedJobs(handle.db)).toHaveLength(1);
  await idle();
  expect(runs.map((r) => r.trackId)).toEqual(['moved plan']);
  expect(runs[0]!.at).toBeGreaterThanOrEqual(later.getTime());
});

it('never runs a job enqueued in a transaction that rolls back; runs one whose transaction commits', async () => {
  const ran: string[] = [];
  await start(async (d) => void ran.push(d.trackId));
  await expect(
    handle.db.transaction(async (tx) => {
      await enqueueJob(tx, 'track-move', data('rolled back'));
      throw new Error('the change failed');
    }),
  ).rejects.toThrow('the change failed');
  await handle.db.transaction(async (tx) => {
    await enqueueJob(tx, 'track-move', data('committed'));
  });
  await idle();
  expect(ran).toEqual(['committed']);
  expect(await queuedJobs(handle.db)).toEqual([]);
});

it('two runners on one queue run each job once', async () => {
  const runsOf = new Map<string, string[]>();
  for (const runner of ['A', 'B']) {
    await start(async (d) => {
      runsOf.set(d.trackId, [...(runsOf.get(d.trackId) ?? []), runner]);
      await new Promise((r) => setImmediate(r));
    });
  }
  const ids = Array.from({ length: 40 }, (_, i) => `shared-${i}`);
  await Promise.all(ids.map((id) => enqueueJob(handle.db, 'track-move', data(id))));
  await idle();
  expect([...runsOf.keys()].sort()).toEqual([...ids].sort());
  for (const id of ids) expect(runsOf.get(id), id).toHaveLength(1);
});

describe('PostgreSQL unreachable', () => {
  let proxy: TcpProxy;
  let proxied: DbHandle | undefined;
  afterAll(async () => {
    await proxied?.close();
    await proxy?.close();
  });

  it('refuses to enqueue within the deadline instead of hanging, and works again once PostgreSQL is back', async () => {
    const target = new URL(database.url);
    proxy = await startTcpProxy(Number(target.port || 5432));
    const url = new URL(database.url);
    url.port = String(proxy.port);
    proxied = await createDb({ url: url.toString(), max: 1, connectTimeoutSeconds: 2, runMigrations: false });
    const ran: string[] = [];
    await start(async (d) => void ran.push(d.trackId));
    await proxy.stop();
    const started = Date.now();
    await expect(enqueueJob(proxied.db, 'track-move', data('down'))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(7_000);

    await proxy.start();
    await expect.poll(() => enqueueJob(proxied!.db, 'track-move', data('back')).then(() => true, () => false), { timeout: 15_000 }).toBe(true);
    await idle();
    expect(ran).toContain('back');
    expect(ran).not.toContain('down');
  });
});
