import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { Redis, type RedisOptions } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedisUrl } from '../../../testing/src/redis.js';
import { createRequestLock, LockTimeoutError } from '../../src/auth/request-lock.js';

const logLines: string[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

let redisUrl: string;
const clients: Redis[] = [];
const connect = (options: RedisOptions = {}) => {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, ...options });
  clients.push(redis);
  return redis;
};

beforeAll(async () => {
  redisUrl = await createTestRedisUrl();
});

afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** Runs `count` critical sections through `locks` (round robin) and reports the most that overlapped. */
async function maxOverlap(locks: ReturnType<typeof createRequestLock>[], name: string, count: number) {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      locks[i % locks.length]!(name, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(15);
        inside--;
      }),
    ),
  );
  return most;
}

describe('OAuth request lock', () => {
  it('serialises one name across two instances sharing Redis', async () => {
    const a = createRequestLock(connect(), logger);
    const b = createRequestLock(connect(), logger);
    expect(await maxOverlap([a, b], 'did:plc:one', 10)).toBe(1);
  });

  it('lets different names proceed in parallel', async () => {
    const lock = createRequestLock(connect(), logger);
    let inside = 0;
    let most = 0;
    await Promise.all(
      ['x', 'y', 'z'].map((n) =>
        lock(n, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(30);
          inside--;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it('releases the lock when the holder throws, and returns the holder’s value', async () => {
    const lock = createRequestLock(connect(), logger);
    await expect(lock('fails', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock('fails', () => 42)).toBe(42);
    expect(await connect().keys('plyr:oauth-lock:*')).toEqual([]);
  });

  it('frees a lock whose holder vanished once its TTL passes', async () => {
    const redis = connect();
    await redis.set('plyr:oauth-lock:orphan', 'crashed-instance', 'PX', 150);
    const lock = createRequestLock(redis, logger, { waitMs: 2_000 });
    const started = Date.now();
    expect(await lock('orphan', () => 'got it')).toBe('got it');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('never deletes a lock another holder took after ours expired', async () => {
    const redis = connect();
    const lock = createRequestLock(redis, logger, { ttlMs: 50 });
    await lock('slow', async () => {
      await sleep(100);
      await redis.set('plyr:oauth-lock:slow', 'someone-else', 'PX', 5_000);
    });
    expect(await redis.get('plyr:oauth-lock:slow')).toBe('someone-else');
  });

  it('gives up after waitMs with a typed error', async () => {
    const redis = connect();
    await redis.set('plyr:oauth-lock:stuck', 'other', 'PX', 5_000);
    const lock = createRequestLock(redis, logger, { waitMs: 100 });
    await expect(lock('stuck', () => 'never')).rejects.toThrow(LockTimeoutError);
  });

  it('without Redis, serialises within the process', async () => {
    const lock = createRequestLock(null, logger);
    expect(await maxOverlap([lock], 'local', 6)).toBe(1);
  });

  it('keeps serving (in-process) and says so when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    clients.push(down);
    down.on('error', () => {});
    const lock = createRequestLock(down, logger);
    expect(await maxOverlap([lock], 'no-redis', 4)).toBe(1);
    expect(logLines.join('')).toContain('falling back to in-process lock');
  });
});
