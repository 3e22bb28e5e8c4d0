import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTrackLock } from '@plyr/core/tracks';
import { createDb, QueryTimeoutError, type DbHandle } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';

/**
 * Transactions under a Postgres that stops answering mid-way: every phase (BEGIN, each statement,
 * COMMIT) fails with QueryTimeoutError within the deadline, nothing the caller was told failed is
 * committed, and the same pool serves again once Postgres answers. The pool reaches Postgres through
 * a relay this test owns; the checks read it directly.
 */

/** The client deadline is statement_timeout (4 s) + 1 s; a loaded machine adds some. */
const BOUNDED_MS = 8_000;

let relay: FaultProxy;
let handle: DbHandle;
let direct: postgres.Sql;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  relay = await startFaultProxy(5432);
  const url = new URL(database.url);
  url.port = String(relay.port);
  handle = await createDb({ url: url.toString(), max: 4 });
  direct = postgres(database.url, { max: 2, onnotice: () => {} });
  await direct`create table probe (id int primary key)`;
});

afterEach(async () => {
  await relay.setMode('up');
  await recovered();
  await direct`delete from probe`;
});

afterAll(async () => {
  await handle?.close();
  await direct?.end();
  await relay?.close();
  await dropDatabase?.();
});

/** Every connection of the pool is idle again (held statements answered, transactions ended) and it serves. */
async function recovered(): Promise<void> {
  await expect
    .poll(
      async () => {
        const [busy] = await direct<[{ n: number }]>`
          select count(*)::int as n from pg_stat_activity where application_name = ${handle.applicationName} and state <> 'idle'`;
        return busy!.n === 0 && (await handle.db.execute('select 1').then(() => true, () => false));
      },
      { timeout: 30_000, interval: 100 },
    )
    .toBe(true);
}

const probeIds = async () => (await direct<Array<{ id: number }>>`select id from probe order by id`).map((r) => r.id);

/** Runs `work`, resolving to its error (or 'committed') and how long it took. */
async function timed(work: () => Promise<unknown>): Promise<{ outcome: unknown; ms: number }> {
  const started = performance.now();
  const outcome = await work().then(
    () => 'committed',
    (err: unknown) => err,
  );
  return { outcome, ms: performance.now() - started };
}

describe('a transaction on a Postgres that stops answering', () => {
  it('a statement in the middle: QueryTimeoutError within the deadline; nothing committed, also once the held statement arrives', async () => {
    const hung = relay.hangAt(/insert into probe values \(2\)/);
    const run = timed(() =>
      handle.db.transaction(async (tx) => {
        await tx.execute('insert into probe values (1)');
        await tx.execute('insert into probe values (2)');
      }),
    );
    await hung;
    const { outcome, ms } = await run;
    expect(outcome).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeLessThan(BOUNDED_MS);
    expect(await probeIds()).toEqual([]);

    await relay.setMode('up');
    await recovered();
    expect(await probeIds()).toEqual([]);
  });

  it('a body that swallows the timeout and returns: still refused, never committed', async () => {
    const hung = relay.hangAt(/insert into probe values \(2\)/);
    let later: unknown;
    const run = timed(() =>
      handle.db.transaction(async (tx) => {
        await tx.execute('insert into probe values (1)');
        await tx.execute('insert into probe values (2)').catch(() => {});
        later = await tx.execute('insert into probe values (3)').then(() => 'sent', (err: unknown) => err);
      }),
    );
    await hung;
    const { outcome, ms } = await run;
    expect(outcome).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeLessThan(BOUNDED_MS);
    // drizzle wraps a statement's error in DrizzleQueryError; the cause says what happened.
    await expect.poll(() => (later as Error | undefined)?.cause).toBeInstanceOf(QueryTimeoutError);

    await relay.setMode('up');
    await recovered();
    expect(await probeIds()).toEqual([]);
  });

  it('BEGIN unanswered: QueryTimeoutError, and the body never runs when BEGIN is answered later', async () => {
    const hung = relay.hangAt(/^begin/i);
    let ran = false;
    const run = timed(() =>
      handle.db.transaction(async (tx) => {
        ran = true;
        await tx.execute('insert into probe values (1)');
      }),
    );
    await hung;
    const { outcome, ms } = await run;
    expect(outcome).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeLessThan(BOUNDED_MS);

    await relay.setMode('up');
    await recovered();
    expect(ran).toBe(false);
    expect(await probeIds()).toEqual([]);
  });

  it('COMMIT unanswered: QueryTimeoutError within the deadline; the outcome is all or nothing', async () => {
    const hung = relay.hangAt(/^commit/i);
    const run = timed(() =>
      handle.db.transaction(async (tx) => {
        await tx.execute('insert into probe values (1)');
        await tx.execute('insert into probe values (2)');
      }),
    );
    await hung;
    const { outcome, ms } = await run;
    expect(outcome).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeLessThan(BOUNDED_MS);

    await relay.setMode('up');
    await recovered();
    expect([[], [1, 2]]).toContainEqual(await probeIds());
  });

  it('a track-lock section whose lock gets no answer: QueryTimeoutError, and the lock is free once Postgres answers', async () => {
    const trackId = '00000000-0000-4000-8000-000000000001';
    const hung = relay.hangAt(/pg_advisory_xact_lock/);
    let ran = false;
    const run = timed(() =>
      withTrackLock(handle.db, trackId, async () => {
        ran = true;
      }),
    );
    await hung;
    const { outcome, ms } = await run;
    expect(outcome).toBeInstanceOf(QueryTimeoutError);
    expect(ms).toBeLessThan(BOUNDED_MS);
    expect(ran).toBe(false);

    await relay.setMode('up');
    await recovered();
    await withTrackLock(handle.db, trackId, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
