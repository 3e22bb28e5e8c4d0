import { BentoCache, bentostore } from 'bentocache';
import { MemoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Metrics } from '../metrics.js';

/**
 * In-process tier bound: what one process may hold, whatever the traffic. Entries are kept as objects
 * (bentocache's size bound needs them serialized, which cost a JSON parse per hit); every cached value
 * is a bounded row (a track, or a credential's owner), well under 2 kB each, so this is at most ~20 MB.
 */
export const MEMORY_MAX_ITEMS = 10_000;
/**
 * After Redis returns, the bus's own subscriber connection reconnects on the same backoff (≤ 2 s);
 * until it has surely resubscribed, invalidations from other instances could be missed.
 */
const BUS_SETTLE_MS = 2_500;
const REDIS_PREFIX = 'plyr:hot';
/**
 * A Redis that hangs without closing its connections delivers no bus message and fires no event; a
 * PING every tick tells: one unanswered for two ticks bypasses the cache, so < 1 s after the hang.
 */
const PROBE_INTERVAL_MS = 300;
/**
 * A loader that read the old row just before a write committed can store it just after the write's
 * invalidation; a second invalidation this much later removes such an entry.
 */
const SECOND_INVALIDATION_MS = 500;

export interface HotStore {
  /** The cached value, or the loader's (then cached for `ttlMs`); straight from the loader while the bus is down. */
  getOrSet<T>(key: string, ttlMs: (value: T) => number, load: () => Promise<T>): Promise<T>;
  /** Drops keys here, in Redis, and (over the bus) on every other instance. */
  invalidate(keys: string[]): Promise<void>;
  /** Whether the cache is serving (false while the Redis bus is down). */
  readonly serving: boolean;
  close(): Promise<void>;
}

export interface HotStoreDeps {
  redis: Redis | null;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Memory in front of Redis, kept coherent by a Redis pub/sub bus (bentocache). Without Redis the
 * memory tier alone, invalidated in place. While the app's Redis client is not ready, or Redis stops
 * answering a PING, nothing is served from either tier (no in-process entry can outlive an invalidation it did not hear); when it
 * is ready again both tiers are cleared, since invalidations sent during the outage were lost.
 */
export function createHotStore({ redis, metrics, logger }: HotStoreDeps): HotStore {
  // Unserialized, so a hit is a lookup; values are frozen (below), so no caller can change a shared one.
  const memoryOptions = { maxItems: MEMORY_MAX_ITEMS, serialize: false };
  const memory = { options: memoryOptions, factory: (config: typeof memoryOptions) => new ObjectMemoryDriver(config) };
  const store = bentostore().useL1Layer(memory);
  if (redis) {
    store.useL2Layer(redisDriver({ connection: redis, prefix: REDIS_PREFIX }));
    // The bus duplicates this into its publisher and subscriber; the subscriber must queue its SUBSCRIBE
    // until connected (and resubscribes on reconnect), which the app client's fail-fast options forbid.
    store.useBus(redisBusDriver({ connection: redis.duplicate({ enableOfflineQueue: true }) }));
  }
  const bento = new BentoCache({
    default: 'hot',
    stores: { hot: store },
    serializer: dateSafeJson,
    // A lost Redis write must never fail a read; the loader's answer is still right.
    suppressL2Errors: true,
    grace: false,
  });
  // Label sets bound once per cache name: prom-client hashes a label object on every `inc`.
  const lookups = new Map<string, Record<'memoryHit' | 'memoryMiss' | 'redisHit' | 'redisMiss', Counter.Internal>>();
  const lookupsOf = (key: string) => {
    const cache = cacheName(key);
    let bound = lookups.get(cache);
    if (!bound) {
      const at = (tier: 'memory' | 'redis', result: 'hit' | 'miss') => metrics.cacheLookups.labels({ cache, tier, result });
      bound = { memoryHit: at('memory', 'hit'), memoryMiss: at('memory', 'miss'), redisHit: at('redis', 'hit'), redisMiss: at('redis', 'miss') };
      lookups.set(cache, bound);
    }
    return bound;
  };
  bento.on('cache:hit', ({ key, layer }: { key: string; layer: 'l1' | 'l2' }) => {
    const bound = lookupsOf(key);
    if (layer === 'l1') return bound.memoryHit.inc();
    bound.memoryMiss.inc();
    bound.redisHit.inc();
  });
  bento.on('cache:miss', ({ key }: { key: string }) => {
    const bound = lookupsOf(key);
    bound.memoryMiss.inc();
    if (redis) bound.redisMiss.inc();
  });

  let serving = redis === null || redis.status === 'ready';
  let settle: NodeJS.Timeout | undefined;
  let generation = 0;
  const pending = new Set<NodeJS.Timeout>();
  let closed = false;
  let probe: NodeJS.Timeout | undefined;
  if (redis) {
    const stop = () => {
      generation++;
      clearTimeout(settle);
      settle = undefined;
      if (serving && !closed) logger.warn('hot-read cache bypassed while Redis is unreachable');
      serving = false;
    };
    /** Clears both tiers once the bus has surely resubscribed, then serves again. */
    const resume = () => {
      const mine = ++generation;
      clearTimeout(settle);
      settle = setTimeout(() => {
        bento
          .clear()
          .then(() => {
            if (mine !== generation) return;
            serving = true;
            logger.info('hot-read cache serving again (cleared after the Redis outage)');
          })
          .catch((err: unknown) => logger.warn({ err }, 'hot-read cache: clearing after the outage failed; still bypassed'));
      }, BUS_SETTLE_MS);
      settle.unref();
    };
    redis.on('close', stop);
    redis.on('end', stop);
    let hung = false;
    redis.on('ready', () => {
      hung = false;
      resume();
    });
    // Counted in ticks, not timers: after a stall of the event loop the timer fires before the PONG
    // already waiting is read, so only a PING still unanswered a whole tick later means a hang.
    let ticks = 0;
    let sentAtTick: number | null = null;
    probe = setInterval(() => {
      ticks++;
      if (redis.status !== 'ready' || closed) return;
      if (sentAtTick !== null) {
        if (ticks - sentAtTick >= 2) {
          hung = true;
          stop();
        }
        return;
      }
      sentAtTick = ticks;
      redis.ping().then(
        () => {
          sentAtTick = null;
          // Answering again on the same connection: no 'ready' comes, so resume here.
          if (hung && !closed) {
            hung = false;
            resume();
          }
        },
        () => {
          sentAtTick = null;
          if (closed) return;
          hung = true;
          stop();
        },
      );
    }, PROBE_INTERVAL_MS);
    probe.unref();
  }

  return {
    get serving() {
      return serving;
    },
    async getOrSet<T>(key: string, ttlMs: (value: T) => number, load: () => Promise<T>): Promise<T> {
      if (!serving) return load();
      return bento.getOrSet<T>({
        key,
        factory: async (ctx) => {
          const value = deepFreeze(await load());
          ctx.setTtl(ttlMs(value));
          return value;
        },
      });
    },
    async invalidate(keys) {
      // While bypassed nothing is served from either tier, and both are cleared before serving again.
      if (keys.length === 0 || !serving) return;
      // The write has committed: a failed invalidation is logged, never turned into a failed write.
      await bento.deleteMany({ keys }).catch((err: unknown) => logger.warn({ err, keys }, 'hot-read cache: invalidation failed'));
      const again = setTimeout(() => {
        pending.delete(again);
        bento.deleteMany({ keys }).catch((err: unknown) => logger.warn({ err }, 'hot-read cache: second invalidation failed'));
      }, SECOND_INVALIDATION_MS);
      again.unref();
      pending.add(again);
    },
    async close() {
      closed = true;
      clearInterval(probe);
      clearTimeout(settle);
      for (const timer of pending) clearTimeout(timer);
      await bento.disconnect();
    },
  };
}

/**
 * bentocache's memory driver, holding entries as objects. bentocache 1.6 copies an entry it read
 * from Redis into an unserialized memory tier still serialized (a string it then cannot read back:
 * "Cannot read properties of undefined (reading 'deserialize')"); such a copy is stored here as the
 * entry it encodes.
 */
class ObjectMemoryDriver extends MemoryDriver {
  // Typed for strings, as bentocache declares it; with `serialize: false` it holds objects.
  override set(key: string, value: string, ttl?: number): boolean {
    return super.set(key, typeof value === 'string' ? (dateSafeJson.deserialize(value) as string) : value, ttl);
  }
}

/** The part of a key before its first colon names the cache in metrics ("track", "session", …). */
function cacheName(key: string): string {
  return key.slice(0, key.indexOf(':'));
}

/**
 * JSON that brings back the Dates of a cached value's own fields (rows carry createdAt & co.), or of
 * each row's fields when the value is a list of rows (the newest tracks), so an entry read from Redis
 * equals the one the loader returned. Single rows keep the format every deployed version reads.
 */
const dateSafeJson = {
  serialize(entry: { value: unknown }): string {
    const value = entry.value;
    if (Array.isArray(value)) {
      const itemDates = [...new Set(value.flatMap((item) => (isRecord(item) ? dateKeys(item) : [])))];
      return JSON.stringify({ ...entry, itemDates });
    }
    return JSON.stringify({ ...entry, dates: isRecord(value) ? dateKeys(value) : [] });
  },
  deserialize(text: string): unknown {
    const { dates, itemDates, ...entry } = JSON.parse(text) as { value: unknown; dates?: string[]; itemDates?: string[] };
    if (dates?.length && isRecord(entry.value)) reviveDates(entry.value, dates);
    if (itemDates?.length && Array.isArray(entry.value)) {
      for (const item of entry.value) if (isRecord(item)) reviveDates(item, itemDates);
    }
    // Read from Redis, then held in memory as is: frozen like a loaded value.
    deepFreeze(entry.value);
    return entry;
  },
};

const dateKeys = (record: Record<string, unknown>) => Object.keys(record).filter((k) => record[k] instanceof Date);

function reviveDates(record: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) if (typeof record[k] === 'string') record[k] = new Date(record[k]);
}

/** Freezes a cached value and the plain objects and arrays in it: one copy is shared by every request. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (!(value instanceof Date)) for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
