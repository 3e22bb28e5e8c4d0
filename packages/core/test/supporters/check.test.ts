import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { didForTest, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { createTestRedisUrl } from '@plyr/testing';
import {
  createSupporterService,
  InvalidDidError,
  isDid,
  type SupporterServiceOptions,
} from '../../src/supporters/index.js';
import { supporterCacheKey } from '../../src/supporters/cache.js';

const fan = didForTest('fan');
const stranger = didForTest('stranger');
const artist = didForTest('artist');

let fake: FakeAtprotofans;
let redisUrl: string;
let redis: Redis;

beforeAll(async () => {
  redisUrl = await createTestRedisUrl();
  redis = new Redis(redisUrl);
  fake = await startFakeAtprotofans();
});

afterAll(async () => {
  await fake.close();
  redis.disconnect();
});

beforeEach(async () => {
  await redis.flushdb();
  fake.reset();
  fake.setSupporters([[fan, artist]]);
});

function service(overrides: Partial<SupporterServiceOptions> = {}) {
  return createSupporterService({ atprotofansUrl: fake.url, redis, cacheTtlSeconds: 60, ...overrides });
}

/** The in-process tier's clock, moved by the test (lru-cache reads a start of 0 as "no TTL", hence 1000). */
function testClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A logger whose JSON lines the test can read. */
function capturedLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('answers', () => {
  it('says supporter for a supporter and not_supporter for anyone else, asking with signer = subject = artist', async () => {
    const supporters = service();
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(await supporters.check(stranger, artist)).toBe('not_supporter');
    expect(fake.requestLog).toEqual([
      { supporter: fan, subject: artist, signer: artist },
      { supporter: stranger, subject: artist, signer: artist },
    ]);
    expect(supporters.upstreamRequests).toBe(2);
  });

  it('serves yes and no from the cache for the TTL, then asks again', async () => {
    const clock = testClock();
    const supporters = service({ cacheTtlSeconds: 0.5, clock });
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(await supporters.check(stranger, artist)).toBe('not_supporter');
    fake.setSupporters([[stranger, artist]]);

    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(await supporters.check(stranger, artist)).toBe('not_supporter');
    expect(fake.requests).toBe(2);

    // Redis expires its copies on its own clock; the in-process tier keeps its own until the TTL has passed on the service's.
    const keys = [supporterCacheKey(fan, artist), supporterCacheKey(stranger, artist)];
    await expect.poll(() => redis.exists(...keys), { timeout: 10_000, interval: 20 }).toBe(0);
    clock.advance(499);
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(2);
    clock.advance(2);
    expect(await supporters.check(fan, artist)).toBe('not_supporter');
    expect(await supporters.check(stranger, artist)).toBe('supporter');
    expect(fake.requests).toBe(4);
  });

  it('stores one Redis entry per pair, keyed by DIDs only, expiring with the TTL', async () => {
    await service({ cacheTtlSeconds: 60 }).check(fan, artist);
    expect(await redis.keys('*')).toEqual([`supporter:v2:${fan}/${artist}`]);
    const pttl = await redis.pttl(`supporter:v2:${fan}/${artist}`);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('shares answers between instances on one Redis: the second instance makes no upstream request', async () => {
    const first = service();
    const second = service();
    expect(await first.check(fan, artist)).toBe('supporter');
    expect(await first.check(stranger, artist)).toBe('not_supporter');
    expect(await second.check(fan, artist)).toBe('supporter');
    expect(await second.check(stranger, artist)).toBe('not_supporter');
    expect(second.upstreamRequests).toBe(0);
    expect(fake.requests).toBe(2);
  });

  it('caches in process when there is no Redis', async () => {
    const clock = testClock();
    const supporters = service({ redis: null, cacheTtlSeconds: 0.5, clock });
    expect(await supporters.check(fan, artist)).toBe('supporter');
    fake.removeSupporter(fan, artist);
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(1);
    expect(await redis.keys('*')).toEqual([]);
    clock.advance(499);
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(1);
    clock.advance(2);
    expect(await supporters.check(fan, artist)).toBe('not_supporter');
    expect(fake.requests).toBe(2);
  });
});

describe('failures are unavailable, never "not a supporter", and never cached', () => {
  it.each([
    { name: 'a 500 (retried once)', mode: 'error500', attempts: 2 },
    { name: 'a timeout', mode: 'timeout', attempts: 1 },
    { name: 'truncated JSON', mode: 'garbage', attempts: 1 },
    { name: 'JSON without a boolean `valid`', mode: 'garbage', body: '{"valid":"yes"}', attempts: 1 },
    { name: 'an empty JSON object', mode: 'garbage', body: '{}', attempts: 1 },
  ] as const)('$name → unavailable, and the next call asks again', async (failure) => {
    const supporters = service({ timeoutMs: 400 });
    fake.setMode(failure.mode, 'body' in failure ? { body: failure.body } : {});
    expect(await supporters.check(fan, artist)).toBe('unavailable');
    expect(await supporters.check(stranger, artist)).toBe('unavailable');
    expect(fake.requests).toBe(2 * failure.attempts);
    expect(await redis.keys('*')).toEqual([]);

    fake.setMode('ok');
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(2 * failure.attempts + 1);
  });

  it('uses the retry when a single 500 is followed by an answer', async () => {
    fake.setMode('error500', { times: 1 });
    expect(await service().check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(2);
  });

  it('gives up on a hanging atprotofans within the timeout budget', async () => {
    fake.setMode('timeout');
    const started = performance.now();
    expect(await service({ timeoutMs: 300 }).check(fan, artist)).toBe('unavailable');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('waits for a slow answer within the budget', async () => {
    fake.setMode('slow', { delayMs: 150 });
    expect(await service({ timeoutMs: 2_000 }).check(fan, artist)).toBe('supporter');
  });

  it('treats a 4xx as unavailable without retrying it', async () => {
    const supporters = service({ atprotofansUrl: `${fake.url}/not-the-api` });
    expect(await supporters.check(fan, artist)).toBe('unavailable');
    expect(fake.requests).toBe(1);
  });

  it('retries an unreachable atprotofans once, then answers unavailable', async () => {
    const supporters = service({ atprotofansUrl: 'http://127.0.0.1:1' });
    expect(await supporters.check(fan, artist)).toBe('unavailable');
    expect(supporters.upstreamRequests).toBe(2);
  });

  it('logs each failure with its cause', async () => {
    const { logger, lines } = capturedLogger();
    fake.setMode('garbage');
    await service({ logger }).check(fan, artist);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringContaining('unavailable'), supporterDid: fan, artistDid: artist }),
    ]);
  });
});

describe('single flight', () => {
  it('100 concurrent checks of one pair with a cold cache make exactly 1 upstream request', async () => {
    fake.setMode('slow', { delayMs: 100 });
    const supporters = service();
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => supporters.check(fan, artist)));
    expect(new Set(outcomes)).toEqual(new Set(['supporter']));
    expect(fake.requests).toBe(1);
  });

  it('shares a failure among concurrent callers, and the next call asks again', async () => {
    fake.setMode('error500');
    const supporters = service();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => supporters.check(fan, artist)));
    expect(new Set(outcomes)).toEqual(new Set(['unavailable']));
    expect(fake.requests).toBe(2);
    fake.setMode('ok');
    expect(await supporters.check(fan, artist)).toBe('supporter');
    expect(fake.requests).toBe(3);
  });
});

describe('input', () => {
  it.each([
    ['did:plc:ewvi7nxzyoun6zhxrhs64oiz', true],
    ['did:web:example.com', true],
    ['did:web:localhost%3A2583', true],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oi', false],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oizz', false],
    ['did:plc:EWVI7NXZYOUN6ZHXRHS64OIZ', false],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oi1', false],
    ['did:web:example.com:user:alice', false],
    ['did:web:example.com%3A8443', false],
    ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', false],
    ['did:plc:ewvi7nxzyoun6zhxrhs64oiz ', false],
    ['alice.bsky.social', false],
    ['', false],
    [`did:web:${'a'.repeat(3000)}.com`, false],
  ])('isDid(%j) is %s', (value, expected) => {
    expect(isDid(value)).toBe(expected);
  });

  it('rejects invalid DIDs with InvalidDidError before any upstream request', async () => {
    const supporters = service();
    await expect(supporters.check('alice.bsky.social', artist)).rejects.toBeInstanceOf(InvalidDidError);
    await expect(supporters.check(fan, 'did:plc:nope')).rejects.toBeInstanceOf(InvalidDidError);
    await expect(supporters.resolveSupportedArtists('not-a-did', [artist])).rejects.toBeInstanceOf(InvalidDidError);
    await expect(supporters.resolveSupportedArtists(fan, [artist, 'did:example:123'])).rejects.toBeInstanceOf(
      InvalidDidError,
    );
    expect(fake.requests).toBe(0);
    expect(supporters.upstreamRequests).toBe(0);
  });

  it('refuses a cache TTL that is not positive', () => {
    expect(() => service({ cacheTtlSeconds: 0 })).toThrow(RangeError);
    expect(() => service({ cacheTtlSeconds: Number.NaN })).toThrow(RangeError);
  });
});

describe('Redis down', () => {
  it('still answers from atprotofans when Redis is unreachable, logging the outage once', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 1 });
    down.on('error', () => {});
    const { logger, lines } = capturedLogger();
    try {
      // Redis alone (no in-process tier), so every answer not in Redis is asked upstream.
      const supporters = service({ redis: down, logger, memoryTierTtlMs: 0 });
      expect(await supporters.check(fan, artist)).toBe('supporter');
      expect(await supporters.check(stranger, artist)).toBe('not_supporter');
      const batch = await supporters.resolveSupportedArtists(fan, [artist, didForTest('other artist')]);
      expect(Object.fromEntries(batch)).toEqual({ [artist]: 'supporter', [didForTest('other artist')]: 'not_supporter' });
      expect(await supporters.check(fan, artist)).toBe('supporter');
      expect(fake.requests).toBe(5);
      expect(lines.filter((line) => line.msg.includes('redis unavailable'))).toHaveLength(1);
    } finally {
      down.disconnect();
    }
  });

  it('resumes caching when Redis returns, logging the outage once and the recovery once', async () => {
    const flaky = new Redis(redisUrl);
    flaky.on('error', () => {});
    const { logger, lines } = capturedLogger();
    try {
      const supporters = service({ redis: flaky, logger, memoryTierTtlMs: 0 });
      expect(await supporters.check(fan, artist)).toBe('supporter');

      flaky.disconnect();
      for (let i = 0; i < 3; i += 1) expect(await supporters.check(stranger, artist)).toBe('not_supporter');
      expect(fake.requests).toBe(4);

      await flaky.connect();
      expect(await supporters.check(stranger, artist)).toBe('not_supporter');
      expect(await supporters.check(stranger, artist)).toBe('not_supporter');
      expect(await supporters.check(fan, artist)).toBe('supporter');
      expect(fake.requests).toBe(5);
      expect(lines.map((line) => line.msg)).toEqual([
        expect.stringContaining('redis unavailable'),
        expect.stringContaining('redis is back'),
      ]);
    } finally {
      flaky.disconnect();
    }
  });
});
