import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './env.js';

/**
 * A Redis database index of its own for this vitest worker (0 is left to people), flushed first.
 * Workers run one file at a time, so a file never sees another file's keys.
 */
export async function createTestRedisUrl(): Promise<string> {
  const index = 1 + ((Number(process.env.VITEST_POOL_ID ?? '1') - 1) % 15);
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${index}`;
  const redis = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  return url.toString();
}
