import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { SUPPORTER_SOURCE_NAMES, type SupporterSourceName } from './sources.js';

/** A real answer: yes with the source that proved it, or no from every source. */
export type CachedAnswer = { supporter: true; source: SupporterSourceName } | { supporter: false; source: null };

/** Cached yes/no answers; misses, expiries and an unreachable store all read as `undefined`. */
export interface SupportCache {
  /** One round trip for any number of keys. */
  getMany(keys: readonly string[]): Promise<Array<CachedAnswer | undefined>>;
  set(key: string, answer: CachedAnswer): Promise<void>;
  /** Drops what this process holds in memory (a shared tier is left alone). */
  clearLocal?(): void;
}

/** `v2` (answers carry their source) ignores `v1` entries; `/` never occurs in a DID, so the pair is unambiguous. */
export const supporterCacheKey = (supporterDid: string, artistDid: string) =>
  `supporter:v2:${supporterDid}/${artistDid}`;

// Stored as the proving source's name, or `no`.
const NO = 'no';
const encode = (answer: CachedAnswer) => answer.source ?? NO;
function decode(value: string | null | undefined): CachedAnswer | undefined {
  if (value === NO) return { supporter: false, source: null };
  const source = SUPPORTER_SOURCE_NAMES.find((name) => name === value);
  return source ? { supporter: true, source } : undefined;
}

/** Bounds the in-process tier: ~80-byte keys, so about 3 MB at most. */
export const MEMORY_CACHE_MAX_ENTRIES = 10_000;

/**
 * In front of Redis, an answer is kept in memory this long at most, so it outlives its Redis entry
 * by no more than this (answers are never invalidated by a write: they expire with their TTL).
 */
export const NEAR_TIER_TTL_MS = 1_000;

export type SupportCacheTier = 'memory' | 'redis';

/** Called once per tier a lookup reached, with how many keys it had and how many it lacked. */
export type TierLookup = (tier: SupportCacheTier, hits: number, misses: number) => void;

// A healthy local Redis answers in well under a millisecond; past this the cache is treated as down.
const REDIS_TIMEOUT_MS = 250;

// Commands sent in these states would wait in ioredis' offline queue, so skip straight to upstream.
const REDIS_UNREACHABLE = new Set(['reconnecting', 'close', 'end']);

class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** A monotonic millisecond clock, as `performance` is. */
export interface Clock {
  now(): number;
}

export function createMemorySupportCache(ttlMs: number, clock?: Clock): SupportCache {
  // A given clock is read on every lookup (no 1 ms memo), so an entry expires the moment it says so.
  const entries = new LRUCache<string, CachedAnswer>({
    max: MEMORY_CACHE_MAX_ENTRIES,
    ttl: ttlMs,
    ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
  });
  return {
    async getMany(keys) {
      return keys.map((key) => entries.get(key));
    },
    async set(key, answer) {
      entries.set(key, answer);
    },
    clearLocal: () => entries.clear(),
  };
}

/**
 * The in-process tier in front of the shared one: a hit in memory costs no Redis command; what
 * Redis answers is copied into memory; a new answer is written to both.
 */
export function createTieredSupportCache(near: SupportCache, far: SupportCache, onLookup?: TierLookup): SupportCache {
  return {
    async getMany(keys) {
      const answers = await near.getMany(keys);
      const missed = keys.filter((_, i) => answers[i] === undefined);
      onLookup?.('memory', keys.length - missed.length, missed.length);
      if (missed.length === 0) return answers;
      const fromFar = await far.getMany(missed);
      onLookup?.('redis', fromFar.filter(Boolean).length, fromFar.filter((a) => !a).length);
      let next = 0;
      return Promise.all(
        answers.map(async (answer, i) => {
          if (answer !== undefined) return answer;
          const found = fromFar[next++];
          if (found) await near.set(keys[i]!, found);
          return found;
        }),
      );
    },
    async set(key, answer) {
      await Promise.all([near.set(key, answer), far.set(key, answer)]);
    },
    clearLocal: () => near.clearLocal?.(),
  };
}

/** Shared by every instance. Never throws: when Redis is down it logs once and reports misses until it returns. */
export function createRedisSupportCache(redis: Redis, ttlMs: number, logger: Logger): SupportCache {
  let healthy = true;

  async function run<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      if (REDIS_UNREACHABLE.has(redis.status)) throw new RedisUnavailableError(`redis connection is ${redis.status}`);
      // A plain timer, cleared on the answer: an AbortController with a timers/promises sleep cost ~29 µs a call.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnavailableError(`redis did not answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
      });
      let result: T;
      try {
        result = await Promise.race([command(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      if (!healthy) {
        healthy = true;
        logger.info('supporter cache: redis is back, caching answers again');
      }
      return result;
    } catch (err) {
      if (healthy) {
        healthy = false;
        logger.warn({ err }, 'supporter cache: redis unavailable, asking the sources directly until it returns');
      }
      return undefined;
    }
  }

  return {
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = await run(() => redis.mget(...keys));
      return keys.map((_, i) => decode(values?.[i]));
    },
    async set(key, answer) {
      await run(() => redis.set(key, encode(answer), 'PX', ttlMs));
    },
  };
}
