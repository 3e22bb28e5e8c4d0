import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createDb, type DbHandle } from '@plyr/db';
import { storageEnv } from '@plyr/testing';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@plyr/testing';
import { startTestS3 } from '@plyr/testing';
// The statement-counting relay of the audio fuzz test, reused so there is one way to count.
import { startFaultProxy } from '../../apps/server/test/reliability/support/fault-proxy.js';
import { wireMeter, type WireMeter } from './wire.js';

/**
 * The real services the bench runs against: a database of its own on the machine's PostgreSQL, a
 * Redis db index of its own (15 unless BENCH_REDIS_URL says otherwise; the tests use 1..n by
 * worker), a fresh S3-compatible server and the stand-in atprotofans. All removed by `close()`.
 * Servers under test reach the database through a relay that counts their statements.
 */
export interface BenchInfra {
  /** The bench's own connection (seeding, setup): straight to PostgreSQL, never counted. */
  db: DbHandle;
  /** DATABASE_URL for the servers under test: the same database through the counting relay. */
  serverDatabaseUrl: string;
  /** What the servers under test sent PostgreSQL and Redis so far. */
  wire: WireMeter;
  redis: Redis;
  redisUrl: string;
  s3Env: Record<string, string>;
  atprotofans: FakeAtprotofans;
  /** Scratch space: server logs, the API's DATA_DIR. */
  workDir: string;
  close(): Promise<void>;
}

const BENCH_REDIS_DB = 15;

function withPath(url: string, path: string): string {
  const u = new URL(url);
  u.pathname = path;
  return u.toString();
}

export async function startInfra(): Promise<BenchInfra> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  };
  try {
    const workDir = mkdtempSync(join(tmpdir(), 'plyr-bench-'));
    cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));

    const name = `plyr_bench_${randomBytes(6).toString('hex')}`;
    const admin = await createDb({ url: TEST_DATABASE_URL, max: 1, runMigrations: false });
    await admin.sql.unsafe(`CREATE DATABASE ${name}`);
    cleanups.push(async () => {
      await admin.sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    });
    const databaseUrl = withPath(TEST_DATABASE_URL, `/${name}`);
    const db = await createDb({ url: databaseUrl, max: 4 });
    cleanups.push(() => db.close());
    const target = new URL(databaseUrl);
    const relay = await startFaultProxy(Number(target.port || 5432), target.hostname);
    cleanups.push(() => relay.close());
    const relayed = new URL(databaseUrl);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);

    const redisUrl = process.env.BENCH_REDIS_URL ?? withPath(TEST_REDIS_URL, `/${BENCH_REDIS_DB}`);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    cleanups.push(() => redis.quit());
    await redis.flushdb();
    cleanups.push(() => redis.flushdb());

    const s3 = await startTestS3();
    cleanups.push(() => s3.close());
    const atprotofans = await startFakeAtprotofans();
    cleanups.push(() => atprotofans.close());

    return {
      db,
      serverDatabaseUrl: relayed.toString(),
      wire: wireMeter(relay, redis),
      redis,
      redisUrl,
      s3Env: storageEnv(s3.config),
      atprotofans,
      workDir,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
