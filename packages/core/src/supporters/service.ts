import { isAtprotoDid } from '@atproto/did';
import type { Redis } from 'ioredis';
import pMap from 'p-map';
import { pino, type Logger } from 'pino';
import { createMemorySupportCache, createRedisSupportCache, supporterCacheKey } from './cache.js';
import { AtprotofansError, createAtprotofansClient } from './client.js';

export type SupportOutcome = 'supporter' | 'not_supporter' | 'unavailable';

export interface SupporterServiceOptions {
  atprotofansUrl: string;
  /** null → in-process LRU cache (single instance only). */
  redis: Redis | null;
  cacheTtlSeconds: number;
  /** Budget for one validation, retry included (default 3000). */
  timeoutMs?: number;
  /** Upstream requests a batch may have open at once (default 8). */
  concurrency?: number;
  logger?: Logger;
  fetch?: typeof fetch;
}

export interface SupporterService {
  check(supporterDid: string, artistDid: string): Promise<SupportOutcome>;
  /** Distinct artists checked concurrently; cache read in ONE round trip (MGET). */
  resolveSupportedArtists(viewerDid: string, artistDids: readonly string[]): Promise<Map<string, SupportOutcome>>;
  /** Upstream requests made so far (for tests/bench). */
  readonly upstreamRequests: number;
}

/** A DID that is not did:plc / did:web syntax reached the service; callers validate input first. */
export class InvalidDidError extends Error {
  override readonly name = 'InvalidDidError';
  constructor(readonly value: string) {
    super(`not a did:plc or did:web: ${JSON.stringify(value.slice(0, 100))}`);
  }
}

// The atproto DID spec caps a DID at 2 KB.
const MAX_DID_LENGTH = 2048;

/** Strict atproto DID syntax: did:plc, or did:web on a bare hostname (a port only for localhost). */
export function isDid(value: string): boolean {
  return value.length <= MAX_DID_LENGTH && isAtprotoDid(value);
}

function assertDid(value: string): void {
  if (!isDid(value)) throw new InvalidDidError(value);
}

const toOutcome = (isSupporter: boolean): SupportOutcome => (isSupporter ? 'supporter' : 'not_supporter');

export function createSupporterService(options: SupporterServiceOptions): SupporterService {
  if (!(options.cacheTtlSeconds > 0)) throw new RangeError('cacheTtlSeconds must be a positive number');
  const ttlMs = Math.max(1, Math.round(options.cacheTtlSeconds * 1000));
  const logger = options.logger ?? pino({ enabled: false });
  const concurrency = options.concurrency ?? 8;
  let upstreamRequests = 0;
  const client = createAtprotofansClient({
    baseUrl: options.atprotofansUrl,
    timeoutMs: options.timeoutMs ?? 3000,
    fetch: options.fetch ?? globalThis.fetch,
    onRequest: () => (upstreamRequests += 1),
  });
  const cache = options.redis
    ? createRedisSupportCache(options.redis, ttlMs, logger)
    : createMemorySupportCache(ttlMs);
  const inFlight = new Map<string, Promise<SupportOutcome>>();

  // Concurrent callers for one pair share the first caller's work.
  function singleFlight(key: string, work: () => Promise<SupportOutcome>): Promise<SupportOutcome> {
    const existing = inFlight.get(key);
    if (existing) return existing;
    const flight = work().finally(() => inFlight.delete(key));
    inFlight.set(key, flight);
    return flight;
  }

  // Only real answers are cached; a failure is reported as such and the next call asks again.
  async function askUpstream(supporterDid: string, artistDid: string, key: string): Promise<SupportOutcome> {
    try {
      const isSupporter = await client.validateSupporter(supporterDid, artistDid);
      await cache.set(key, isSupporter);
      return toOutcome(isSupporter);
    } catch (err) {
      if (!(err instanceof AtprotofansError)) throw err;
      logger.warn({ err, supporterDid, artistDid }, 'atprotofans validation failed; answering unavailable');
      return 'unavailable';
    }
  }

  return {
    get upstreamRequests() {
      return upstreamRequests;
    },

    async check(supporterDid, artistDid) {
      assertDid(supporterDid);
      assertDid(artistDid);
      const key = supporterCacheKey(supporterDid, artistDid);
      return singleFlight(key, async () => {
        const [cached] = await cache.getMany([key]);
        return cached === undefined ? askUpstream(supporterDid, artistDid, key) : toOutcome(cached);
      });
    },

    async resolveSupportedArtists(viewerDid, artistDids) {
      assertDid(viewerDid);
      const artists = [...new Set(artistDids)];
      artists.forEach(assertDid);
      const keys = artists.map((artistDid) => supporterCacheKey(viewerDid, artistDid));
      const cached = await cache.getMany(keys);
      const outcomes = await pMap(
        artists,
        (artistDid, i) => {
          const hit = cached[i];
          if (hit !== undefined) return toOutcome(hit);
          const key = keys[i] as string;
          return singleFlight(key, () => askUpstream(viewerDid, artistDid, key));
        },
        { concurrency },
      );
      return new Map(artists.map((artistDid, i) => [artistDid, outcomes[i] as SupportOutcome]));
    },
  };
}
