import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

/** Cached yes/no answers; misses, expiries and an unreachable store all read as `undefined`. */
export interface SupportCache {
  /** One round trip for any number of keys. */
  getMany(keys: readonly string[]): Promise<Array<boolean | undefined>>;
  set(key: string, isSupporter: boolean): Promise<void>;
}

/** `v1` lets a format change ship without reading old entries; `/` never occurs in a DID, so the pair is unambiguous. */
export const supporterCacheKey = (supporterDid: string, artistDid: string) =>
  `supporter:v1:${supporterDid}/${artistDid}`;

/** Bounds memory without Redis: ~80-byte keys, so about 3 MB at most. */
const MEMORY_CACHE_MAX_ENTRIES = 10_000;

// A healthy local Redis answers in well under a millisecond; past this the cache is treated as down.
const REDIS_TIMEOUT_MS = 250;

// Commands sent in these states would wait in ioredis' offline queue, so skip straight to upstream.
const REDIS_UNREACHABLE = new Set(['reconnecting', 'close', 'end']);

class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export function createMemorySupportCache(ttlMs: number): SupportCache {
  const entries = new LRUCache<string, boolean>({ max: MEMORY_CACHE_MAX_ENTRIES, ttl: ttlMs });
  return {
    async getMany(keys) {
      return keys.map((key) => entries.get(key));
    },
    async set(key, isSupporter) {
      entries.set(key, isSupporter);
    },
  };
}

/** Shared by every instance. Never throws: when Redis is down it logs once and reports misses until it returns. */
export function createRedisSupportCache(redis: Redis, ttlMs: number, logger: Logger): SupportCache {
  let healthy = true;

  async function run<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      if (REDIS_UNREACHABLE.has(redis.status)) throw new RedisUnavailableError(`redis connection is ${redis.status}`);
      const timer = new AbortController();
      const timeout = sleep(REDIS_TIMEOUT_MS, undefined, { signal: timer.signal }).then(() => {
        throw new RedisUnavailableError(`redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
      });
      const result = await Promise.race([command(), timeout]).finally(() => timer.abort());
      if (!healthy) {
        healthy = true;
        logger.info('supporter cache: redis is back, caching answers again');
      }
      return result;
    } catch (err) {
      if (healthy) {
        healthy = false;
        logger.warn({ err }, 'supporter cache: redis unavailable, asking atprotofans directly until it returns');
      }
      return undefined;
    }
  }

  return {
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = await run(() => redis.mget(...keys));
      return keys.map((_, i) => {
        const value = values?.[i];
        return value === '1' ? true : value === '0' ? false : undefined;
      });
    },
    async set(key, isSupporter) {
      await run(() => redis.set(key, isSupporter ? '1' : '0', 'PX', ttlMs));
    },
  };
}
