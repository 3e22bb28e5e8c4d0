import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { didForTest, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { createTestRedisUrl } from '@plyr/testing';
import { createSupporterService, type SupporterServiceOptions } from '../../src/supporters/index.js';

const viewer = didForTest('viewer');
const artists = Array.from({ length: 7 }, (_, i) => didForTest(`artist ${i}`));
const supported = new Set(artists.slice(0, 3));

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
  fake.setSupporters([...supported].map((artistDid) => [viewer, artistDid] as const));
});

function service(overrides: Partial<SupporterServiceOptions> = {}) {
  return createSupporterService({ atprotofansUrl: fake.url, redis, cacheTtlSeconds: 60, ...overrides });
}

const expected = (artistDids: readonly string[]) =>
  Object.fromEntries(artistDids.map((a) => [a, supported.has(a) ? 'supporter' : 'not_supporter']));

/** Every command the code under test sends to this file's Redis db while `work` runs. */
async function commandsDuring(work: () => Promise<unknown>): Promise<string[][]> {
  const db = new URL(redisUrl).pathname.slice(1);
  const monitor = await redis.monitor();
  const seen: string[][] = [];
  let markerSeen: () => void = () => {};
  const marker = new Promise<void>((resolve) => (markerSeen = resolve));
  monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
    if (database !== db) return;
    if (args[0]?.toLowerCase() === 'echo' && args[1] === 'end-of-work') markerSeen();
    else seen.push(args);
  });
  try {
    await work();
    // MONITOR output trails the commands; a marker sent last tells when it has caught up.
    await redis.echo('end-of-work');
    await marker;
    return seen;
  } finally {
    monitor.disconnect();
  }
}

describe('resolveSupportedArtists', () => {
  it('asks once per distinct artist cold, then answers from memory with no Redis command, and another instance reads all of them in one MGET', async () => {
    const supporters = service();
    const withDuplicates = [...artists, ...artists, artists[0] as string];

    const cold = await supporters.resolveSupportedArtists(viewer, withDuplicates);
    expect(Object.fromEntries(cold)).toEqual(expected(artists));
    expect([...cold.keys()]).toEqual(artists);
    expect(fake.requests).toBe(7);

    // The in-process tier holds each answer for up to a second: a warm batch sends nothing to Redis.
    let warm = new Map<string, string>();
    const nearCommands = await commandsDuring(async () => {
      warm = await supporters.resolveSupportedArtists(viewer, withDuplicates);
    });
    expect(Object.fromEntries(warm)).toEqual(expected(artists));
    expect(nearCommands).toEqual([]);

    const other = service();
    const commands = await commandsDuring(async () => {
      warm = await other.resolveSupportedArtists(viewer, withDuplicates);
    });
    expect(Object.fromEntries(warm)).toEqual(expected(artists));
    expect(fake.requests).toBe(7);
    expect(commands).toHaveLength(1);
    expect(commands[0]?.[0]?.toLowerCase()).toBe('mget');
    expect(commands[0]?.slice(1)).toHaveLength(7);
  });

  it('answers from a second instance sharing the Redis without upstream requests', async () => {
    await service().resolveSupportedArtists(viewer, artists);
    const second = service();
    expect(Object.fromEntries(await second.resolveSupportedArtists(viewer, artists))).toEqual(expected(artists));
    expect(second.upstreamRequests).toBe(0);
  });

  it('asks only for the artists missing from the cache', async () => {
    const supporters = service();
    await supporters.check(viewer, artists[0] as string);
    await supporters.check(viewer, artists[4] as string);
    await supporters.resolveSupportedArtists(viewer, artists);
    expect(fake.requests).toBe(7);
    expect(fake.requestLog.slice(2).map((r) => r.subject)).toEqual(
      artists.filter((_, i) => i !== 0 && i !== 4),
    );
  });

  it('checks artists concurrently, never more at once than the bound', async () => {
    fake.setMode('slow', { delayMs: 100 });
    const many = Array.from({ length: 20 }, (_, i) => didForTest(`busy artist ${i}`));

    await service({ concurrency: 4 }).resolveSupportedArtists(viewer, many);
    expect(fake.peakConcurrency).toBe(4);

    await redis.flushdb();
    fake.reset();
    fake.setMode('slow', { delayMs: 100 });
    const started = performance.now();
    await service().resolveSupportedArtists(viewer, many);
    expect(fake.peakConcurrency).toBe(8);
    // 20 artists, 8 at a time, 100 ms each: three rounds, not twenty.
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('reports one failing artist as unavailable, answers the rest, and asks again for it next time', async () => {
    const supporters = service({ concurrency: 1 });
    fake.setMode('error500', { times: 2 });
    const first = await supporters.resolveSupportedArtists(viewer, artists);
    expect(first.get(artists[0] as string)).toBe('unavailable');
    expect(Object.fromEntries([...first].slice(1))).toEqual(expected(artists.slice(1)));
    expect(fake.requests).toBe(8);

    const second = await supporters.resolveSupportedArtists(viewer, artists);
    expect(Object.fromEntries(second)).toEqual(expected(artists));
    expect(fake.requests).toBe(9);
  });

  it('joins a check already in flight for the same pair', async () => {
    fake.setMode('slow', { delayMs: 150 });
    const supporters = service();
    const [single, batch] = await Promise.all([
      supporters.check(viewer, artists[0] as string),
      supporters.resolveSupportedArtists(viewer, artists.slice(0, 2)),
    ]);
    expect(single).toBe('supporter');
    expect(Object.fromEntries(batch)).toEqual(expected(artists.slice(0, 2)));
    expect(fake.requests).toBe(2);
  });

  it('returns an empty map for no artists without touching Redis or atprotofans', async () => {
    const supporters = service();
    let result = new Map<string, string>([['x', 'y']]);
    const commands = await commandsDuring(async () => {
      result = await supporters.resolveSupportedArtists(viewer, []);
    });
    expect(result.size).toBe(0);
    expect(commands).toEqual([]);
    expect(fake.requests).toBe(0);
  });
});
