import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle, type SessionLocks } from '@plyr/db';
import { createTestDatabase } from '@plyr/testing';
import { createRequestLock, LockTimeoutError } from '../../src/auth/request-lock.js';

/** The OAuth refresh lock, a PostgreSQL advisory lock: two handles on one database stand for two instances. */

const LOCK_CLASS = 0x6c6f636b;

let database: { url: string; drop: () => Promise<void> };
let one: DbHandle;
let two: DbHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  [one, two] = await Promise.all([createDb({ url: database.url, max: 2 }), createDb({ url: database.url, max: 2, runMigrations: false })]);
});

afterAll(async () => {
  await one?.close();
  await two?.close();
  await database?.drop();
});

/**
 * Runs `count` critical sections, round robin over one request lock per entry of `sessions`, and
 * reports the most that overlapped. A holder stays inside until PostgreSQL shows the lock held and,
 * while a caller on another session waits, until that session has asked for it and been refused.
 */
async function maxOverlap(sessions: SessionLocks[], name: string, count: number) {
  const locks = sessions.map((session) => createRequestLock(session));
  const waiting = new Map<SessionLocks, number>();
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const session = sessions[i % sessions.length]!;
      waiting.set(session, (waiting.get(session) ?? 0) + 1);
      const held = locks[i % locks.length]!(name, async () => {
        inside++;
        most = Math.max(most, inside);
        const since = await now();
        expect(await advisoryLocksHeld()).toBe(1);
        if ([...waiting].some(([other, n]) => other !== session && n > 0)) await refusedSince(since, () => inside > 1);
        inside--;
      });
      return Promise.resolve(held).finally(() => waiting.set(session, waiting.get(session)! - 1));
    }),
  );
  return most;
}

const now = async () => (await one.sql<[{ t: string }]>`select clock_timestamp()::text as t`)[0]!.t;

/**
 * Until a session other than the holder's has finished a try for the lock after `since` (it was
 * refused: the lock is held), or `overlapping` says another caller got in regardless.
 */
async function refusedSince(since: string, overlapping: () => boolean): Promise<void> {
  await expect
    .poll(
      async () =>
        overlapping() ||
        (
          await one.sql<[{ n: number }]>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and state = 'idle' and query like 'select pg_try_advisory_lock%'
              and state_change > ${since}::timestamptz
              and pid not in (select pid from pg_locks where locktype = 'advisory' and classid = ${LOCK_CLASS} and granted and ${ownDatabase()})`
        )[0]!.n > 0,
      { timeout: 10_000, interval: 5 },
    )
    .toBe(true);
}

/** `name` held by another process until it ends: `end()` closes that process's database. */
async function heldElsewhere(name: string): Promise<{ end(): Promise<void> }> {
  const other = await createDb({ url: database.url, max: 1, runMigrations: false });
  let taken!: () => void;
  const holding = new Promise<void>((resolve) => (taken = resolve));
  void createRequestLock(other.locks)(name, () => {
    taken();
    return new Promise(() => {});
  });
  await holding;
  return { end: () => other.close() };
}

/** pg_locks spans the whole server: only this file's database counts. */
const ownDatabase = () => one.sql`database = (select oid from pg_database where datname = current_database())`;

const advisoryLocksHeld = async () =>
  (await one.sql<[{ n: number }]>`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = ${LOCK_CLASS} and granted and ${ownDatabase()}`)[0]!.n;

describe('OAuth request lock', () => {
  it('serialises one name across two instances on one database', async () => {
    expect(await maxOverlap([one.locks, two.locks], 'did:plc:one', 10)).toBe(1);
  });

  it('serialises two lock objects on one handle too', async () => {
    expect(await maxOverlap([one.locks, one.locks], 'did:plc:same-handle', 6)).toBe(1);
  });

  it('lets different names proceed in parallel', async () => {
    const lock = createRequestLock(one.locks);
    let inside = 0;
    let most = 0;
    const entered: Array<() => void> = [];
    const allInside = new Promise<void>((resolve) => {
      let n = 0;
      entered.push(() => ++n === 3 && resolve());
    });
    await Promise.all(
      ['x', 'y', 'z'].map((n) =>
        lock(n, async () => {
          inside++;
          most = Math.max(most, inside);
          entered[0]!();
          await allInside;
          inside--;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it('releases the lock when the holder throws, and returns the holder’s value', async () => {
    const lock = createRequestLock(one.locks);
    await expect(lock('fails', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock('fails', () => 42)).toBe(42);
    expect(await advisoryLocksHeld()).toBe(0);
  });

  it('is free as soon as a holder’s process is gone (its connection closes)', async () => {
    const other = await heldElsewhere('orphan');
    let got = false;
    const waiting = createRequestLock(one.locks, { waitMs: 20_000 })('orphan', () => (got = true));
    expect(got).toBe(false);
    await other.end();
    await waiting;
    expect(got).toBe(true);
  });

  it('gives up after waitMs with a typed error', async () => {
    const other = await heldElsewhere('stuck');
    try {
      await expect(createRequestLock(one.locks, { waitMs: 100 })('stuck', () => 'never')).rejects.toThrow(LockTimeoutError);
    } finally {
      await other.end();
    }
  });
});
