import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createDb, type DbHandle } from '@plyr/db';
import { createHotReads, createHotStore, type HotReads } from '@plyr/core/cache';
import { createMetrics } from '@plyr/core/metrics';
import { createStorage, type Storage } from '@plyr/core/storage';
import { createTestDatabase, freePort, startTestS3, storageEnv } from '@plyr/testing';
import { OwnRedis } from '../../rate-limit/client.js';
import { spawnServer, type ChildHandle } from '../../reliability/support/child.js';

/** Old-space cap of each process; the API needs well under half of it. */
export const HEAP_CAP_MB = 192;
/** How long a process may take to start. */
export const START_TIMEOUT_MS = 150_000;

export interface ApiInstance {
  name: string;
  url: string;
  port: number;
  /** The running process; replaced when the instance is started again. */
  process: ChildHandle;
  /** What it was started with, to start it again the same way. */
  env: Record<string, string>;
}

/**
 * The deployment this scales out to, on one machine: two API processes (`pnpm start`, workers off)
 * and one `pnpm worker` process, sharing one Postgres database, one Redis and one storage.
 */
export interface Cluster {
  a: ApiInstance;
  b: ApiInstance;
  worker: ChildHandle;
  /** The variables every process was started with. */
  env: Record<string, string>;
  /**
   * Direct handles for the test itself: seeding and checking state. `hot` is a hot-read cache on the
   * cluster's Redis, so the test's own writes reach the instances' caches over the bus, as a third
   * instance's would.
   */
  services: { db: DbHandle['db']; storage: Storage; hot: HotReads };
  redisUrl: string;
  /** The cluster's own redis-server, to stop and start again (outage tests). */
  redis: OwnRedis;
  databaseName: string;
  close(): Promise<void>;
}

export async function startCluster(extraEnv: Record<string, string>): Promise<Cluster> {
  const database = await createTestDatabase();
  // A redis-server of its own: the counters, caches and locks of three processes, isolated from any other run.
  const redis = await OwnRedis.start();
  const redisUrl = redis.url;
  const s3 = await startTestS3();
  const [portA, portB] = [await freePort(), await freePort()];
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'plyr-cluster-'));
    dirs.push(dir);
    return dir;
  };
  const env: Record<string, string> = {
    APP_ENV: 'development',
    HOST: '127.0.0.1',
    // One public URL for every instance, as behind a load balancer (the OAuth client id derives from it).
    PUBLIC_URL: `http://localhost:${portA}`,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    ...storageEnv(s3.config),
    SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WORKER_ENABLED: 'false',
    LOG_LEVEL: 'info',
    // A fixed heap: V8 otherwise keeps growing its heap for a minute under load (RSS ~230 → ~390 MB,
    // then flat), which hides a leak in a short soak. Capped, RSS is flat within seconds and a leak
    // shows as growth up to the cap and a crash.
    NODE_OPTIONS: `--max-old-space-size=${HEAP_CAP_MB}`,
    ...extraEnv,
  };
  const api = (name: string, port: number): ApiInstance => {
    const own = { ...env, PORT: String(port), DATA_DIR: dataDir() };
    return { name, url: `http://localhost:${port}`, port, env: own, process: startApi(own) };
  };
  const a = api('A', portA);
  const b = api('B', portB);
  const worker = spawnServer('worker', { ...env, DATA_DIR: dataDir() });
  const handle = await createDb({ url: database.url, max: 4, runMigrations: false });
  const storage = createStorage(s3.config);
  const hotRedis = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  hotRedis.on('error', () => {});
  await hotRedis.connect();
  const hot = createHotReads(handle.db, createHotStore({ redis: hotRedis, metrics: createMetrics(), logger: pino({ enabled: false }) }));
  const close = async () => {
    await Promise.all([a.process.kill(), b.process.kill(), worker.kill()]);
    await hot.close();
    hotRedis.disconnect();
    storage.destroy();
    await handle.close();
    await redis.stop();
    await s3.close();
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([
      // Cold starts compile TypeScript: over a minute on a loaded 2-core machine.
      a.process.waitForLine(/plyr API listening/, START_TIMEOUT_MS),
      b.process.waitForLine(/plyr API listening/, START_TIMEOUT_MS),
      worker.waitForLine(/plyr worker running/, START_TIMEOUT_MS),
    ]);
  } catch (err) {
    await close();
    throw err;
  }
  return { a, b, worker, env, services: { db: handle.db, storage, hot }, redisUrl, redis, databaseName: new URL(database.url).pathname.slice(1), close };
}

/** An API process (`pnpm start`) with these variables. */
export function startApi(env: Record<string, string>): ChildHandle {
  return spawnServer('main', env);
}

/** Resident memory of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
}

/** Sockets a process holds open (inbound HTTP, Postgres, Redis, storage), from /proc/<pid>/fd. */
export function openSockets(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) count += 1;
    } catch {
      // Closed between the listing and the read.
    }
  }
  return count;
}

/** Lines a process logged (pino JSON on stdout), parsed; other output skipped. */
export function logRecords(handle: ChildHandle): Array<Record<string, unknown>> {
  return handle.lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
