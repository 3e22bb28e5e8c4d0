import { isDid } from '../did.js';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createAtprotofansSource } from './atprotofans-source.js';
import { createRepoReader } from './attested/repo-reader.js';
import { createAttestedSource } from './attested/source.js';
import {
  createMemorySupportCache,
  createRedisSupportCache,
  createTieredSupportCache,
  NEAR_TIER_TTL_MS,
  supporterCacheKey,
  type CachedAnswer,
  type Clock,
  type SupportCache,
  type SupportCacheTier,
  type TierLookup,
} from './cache.js';
import { createAtprotofansClient } from './client.js';
import type { Metrics } from '../metrics.js';
import type { SourceAnswer, SupporterSource, SupporterSourceName } from './sources.js';

export type SupportOutcome = 'supporter' | 'not_supporter' | 'unavailable';

/** An outcome and, for a supporter, the source that proved it. */
export interface SupportAnswer {
  outcome: SupportOutcome;
  source: SupporterSourceName | null;
}

export interface AttestedOptions {
  /** DIDs of the payment brokers whose proofs count. */
  trustedBrokers: readonly string[];
  /** PLC directory for the viewers' and brokers' DID documents. */
  plcUrl: string;
  /** Contact only public https PDS hosts (production). */
  ssrfProtection: boolean;
  /** Budget for one viewer's whole attested check (default 3000). */
  timeoutMs?: number;
  /** Pages of 100 read per payment collection, newest first (default 5). */
  maxPages?: number;
}

export interface SupporterServiceOptions {
  atprotofansUrl: string;
  /** null → in-process LRU cache (single instance only). */
  redis: Redis | null;
  cacheTtlSeconds: number;
  /** With Redis: how long an answer stays in the in-process tier (default 1000 ms; 0 = Redis alone). */
  memoryTierTtlMs?: number;
  /** Asked in this order until one says yes (default: atprotofans alone). */
  sources?: readonly SupporterSourceName[];
  /** Required when `sources` lists `attested`. */
  attested?: AttestedOptions;
  /** Budget for one atprotofans validation, retry included (default 3000). */
  timeoutMs?: number;
  /** Upstream requests a batch may have open at once (default 8). */
  concurrency?: number;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Counts lookups by source and outcome, upstream time, and cache hits. */
  metrics?: Metrics;
  /** Times the in-process tier's entries (default `performance`); Redis keeps its own time. */
  clock?: Clock;
}

export interface SupporterService {
  check(supporterDid: string, artistDid: string): Promise<SupportOutcome>;
  /** As `check`, with the source that proved a supporter (null otherwise). */
  checkWithSource(supporterDid: string, artistDid: string): Promise<SupportAnswer>;
  /** Distinct artists checked together; cache read in ONE round trip (MGET). */
  resolveSupportedArtists(viewerDid: string, artistDids: readonly string[]): Promise<Map<string, SupportOutcome>>;
  /**
   * Drops the answers held in this process's memory, so the next check reads the shared tier (or
   * asks the sources): with Redis flushed too, every cached answer is forgotten.
   */
  forgetLocalAnswers(): void;
  /** Upstream HTTP requests made so far, every source counted (for tests/bench). */
  readonly upstreamRequests: number;
}

/** A DID that is not did:plc / did:web syntax reached the service; callers validate input first. */
export class InvalidDidError extends Error {
  override readonly name = 'InvalidDidError';
  constructor(readonly value: string) {
    super(`not a did:plc or did:web: ${JSON.stringify(value.slice(0, 100))}`);
  }
}

function assertDid(value: string): void {
  if (!isDid(value)) throw new InvalidDidError(value);
}

const OUTCOME_LABEL: Record<string, SupportOutcome> = { true: 'supporter', false: 'not_supporter', failed: 'unavailable' };

const fromCache = (cached: CachedAnswer): SupportAnswer => ({
  outcome: cached.supporter ? 'supporter' : 'not_supporter',
  source: cached.source,
});

export function createSupporterService(options: SupporterServiceOptions): SupporterService {
  if (!(options.cacheTtlSeconds > 0)) throw new RangeError('cacheTtlSeconds must be a positive number');
  const ttlMs = Math.max(1, Math.round(options.cacheTtlSeconds * 1000));
  const logger = options.logger ?? pino({ enabled: false });
  const concurrency = options.concurrency ?? 8;
  const givenFetch = options.fetch ?? globalThis.fetch;
  let upstreamRequests = 0;
  const countingFetch: typeof fetch = (input, init) => {
    upstreamRequests += 1;
    return givenFetch(input, init);
  };
  const sources = buildSources(options, { concurrency, logger, fetch: countingFetch, onAtprotofansRequest: () => (upstreamRequests += 1) });
  const metrics = options.metrics;
  const countLookup: TierLookup = (tier, hits, misses) => {
    metrics?.cacheLookups.inc({ cache: 'supporter', tier, result: 'hit' }, hits);
    metrics?.cacheLookups.inc({ cache: 'supporter', tier, result: 'miss' }, misses);
  };
  // With Redis: memory (≤ 1 s per entry) in front of the shared answers; without: memory alone, full TTL.
  const nearTtlMs = Math.min(ttlMs, options.memoryTierTtlMs ?? NEAR_TIER_TTL_MS);
  const cache = !options.redis
    ? counted(createMemorySupportCache(ttlMs, options.clock), 'memory', countLookup)
    : nearTtlMs > 0
      ? createTieredSupportCache(createMemorySupportCache(nearTtlMs, options.clock), createRedisSupportCache(options.redis, ttlMs, logger), countLookup)
      : counted(createRedisSupportCache(options.redis, ttlMs, logger), 'redis', countLookup);
  const inFlight = new Map<string, Promise<SupportAnswer>>();

  /** Each source in order is asked only about the artists no earlier source said yes to. */
  async function askSources(viewerDid: string, artistDids: readonly string[]): Promise<Map<string, SupportAnswer>> {
    const answers = new Map<string, SupportAnswer>();
    const failedSomewhere = new Set<string>();
    let pending = [...artistDids];
    for (const source of sources) {
      if (pending.length === 0) break;
      const started = performance.now();
      const said = await source.supports(viewerDid, pending);
      metrics?.supporterUpstreamSeconds.observe({ source: source.name }, (performance.now() - started) / 1000);
      for (const artistDid of pending) {
        const answer: SourceAnswer = said.get(artistDid) ?? 'failed';
        metrics?.supporterChecks.inc({ source: source.name, outcome: OUTCOME_LABEL[String(answer)]! });
        if (answer === true) answers.set(artistDid, { outcome: 'supporter', source: source.name });
        else if (answer === 'failed') failedSomewhere.add(artistDid);
      }
      pending = pending.filter((artistDid) => !answers.has(artistDid));
    }
    for (const artistDid of pending) {
      // "No" only when every source answered no; one without an answer makes it unavailable.
      answers.set(artistDid, { outcome: failedSomewhere.has(artistDid) ? 'unavailable' : 'not_supporter', source: null });
    }
    await Promise.all(
      [...answers].map(([artistDid, answer]) =>
        answer.outcome === 'unavailable'
          ? undefined
          : cache.set(
              supporterCacheKey(viewerDid, artistDid),
              answer.outcome === 'supporter' ? { supporter: true, source: answer.source! } : { supporter: false, source: null },
            ),
      ),
    );
    return answers;
  }

  /** Concurrent callers for one pair share the first caller's work; a batch joins flights already under way. */
  function singleFlight(viewerDid: string, artistDids: readonly string[]): Map<string, Promise<SupportAnswer>> {
    const flights = new Map<string, Promise<SupportAnswer>>();
    const fresh: string[] = [];
    for (const artistDid of artistDids) {
      const existing = inFlight.get(supporterCacheKey(viewerDid, artistDid));
      if (existing) flights.set(artistDid, existing);
      else fresh.push(artistDid);
    }
    if (fresh.length === 0) return flights;
    const work = askSources(viewerDid, fresh);
    for (const artistDid of fresh) {
      const key = supporterCacheKey(viewerDid, artistDid);
      const flight = work.then((answers) => answers.get(artistDid)!).finally(() => inFlight.delete(key));
      inFlight.set(key, flight);
      flights.set(artistDid, flight);
    }
    return flights;
  }

  async function resolve(viewerDid: string, artistDids: readonly string[]): Promise<Map<string, SupportAnswer>> {
    const cached = await cache.getMany(artistDids.map((artistDid) => supporterCacheKey(viewerDid, artistDid)));
    const answers = new Map<string, SupportAnswer>();
    const missed: string[] = [];
    artistDids.forEach((artistDid, i) => {
      const hit = cached[i];
      if (hit) answers.set(artistDid, fromCache(hit));
      else missed.push(artistDid);
    });
    const flights = [...singleFlight(viewerDid, missed)];
    const flown = await Promise.all(flights.map(([, flight]) => flight));
    flights.forEach(([artistDid], i) => answers.set(artistDid, flown[i]!));
    return answers;
  }

  async function checkWithSource(supporterDid: string, artistDid: string): Promise<SupportAnswer> {
    assertDid(supporterDid);
    assertDid(artistDid);
    return (await resolve(supporterDid, [artistDid])).get(artistDid)!;
  }

  return {
    get upstreamRequests() {
      return upstreamRequests;
    },

    async check(supporterDid, artistDid) {
      return (await checkWithSource(supporterDid, artistDid)).outcome;
    },

    checkWithSource,

    forgetLocalAnswers: () => cache.clearLocal?.(),

    async resolveSupportedArtists(viewerDid, artistDids) {
      assertDid(viewerDid);
      const artists = [...new Set(artistDids)];
      artists.forEach(assertDid);
      const answers = await resolve(viewerDid, artists);
      return new Map(artists.map((artistDid) => [artistDid, answers.get(artistDid)!.outcome]));
    },
  };
}

/** One tier alone, its hits and misses counted. */
function counted(cache: SupportCache, tier: SupportCacheTier, onLookup: TierLookup): SupportCache {
  return {
    async getMany(keys) {
      const answers = await cache.getMany(keys);
      const hits = answers.filter(Boolean).length;
      onLookup(tier, hits, keys.length - hits);
      return answers;
    },
    set: (key, answer) => cache.set(key, answer),
    clearLocal: () => cache.clearLocal?.(),
  };
}

interface SourceDeps {
  concurrency: number;
  logger: Logger;
  fetch: typeof fetch;
  onAtprotofansRequest: () => void;
}

function buildSources(options: SupporterServiceOptions, deps: SourceDeps): SupporterSource[] {
  const names = options.sources ?? ['atprotofans'];
  if (names.length === 0) throw new RangeError('at least one supporter source is needed');
  return names.map((name): SupporterSource => {
    if (name === 'atprotofans') {
      const client = createAtprotofansClient({
        baseUrl: options.atprotofansUrl,
        timeoutMs: options.timeoutMs ?? 3000,
        fetch: options.fetch ?? globalThis.fetch,
        onRequest: deps.onAtprotofansRequest,
      });
      return createAtprotofansSource(client, deps.concurrency, deps.logger);
    }
    const attested = options.attested;
    if (!attested) throw new RangeError('the attested source needs its options (trusted brokers, PLC URL)');
    return createAttestedSource({
      reader: createRepoReader({ plcUrl: attested.plcUrl, ssrfProtection: attested.ssrfProtection, fetch: deps.fetch }),
      trustedBrokers: attested.trustedBrokers,
      timeoutMs: attested.timeoutMs ?? 3000,
      maxPages: attested.maxPages ?? 5,
      concurrency: deps.concurrency,
      logger: deps.logger,
    });
  });
}
