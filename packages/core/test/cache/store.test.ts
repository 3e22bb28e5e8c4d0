import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestRedisUrl } from '@plyr/testing';
import { createHotStore, type HotStore } from '../../src/cache/store.js';
import { createMetrics } from '../../src/metrics.js';

let redis: Redis;
const stores: HotStore[] = [];

beforeAll(async () => {
  redis = new Redis(await createTestRedisUrl(), { enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  redis.disconnect();
});

function store(): HotStore {
  const created = createHotStore({ redis, metrics: createMetrics(), logger: pino({ enabled: false }) });
  stores.push(created);
  return created;
}

const row = { id: 'track-1', title: 'A title', supportGate: { type: 'any' }, createdAt: new Date('2026-01-02T03:04:05.000Z') };

it('an entry read from Redis is then served from memory as the same row, Dates and all, and frozen', async () => {
  const writer = store();
  const reader = store();
  let loads = 0;
  const load = async () => {
    loads++;
    return structuredClone(row);
  };
  expect(await writer.getOrSet('track:id:1', () => 60_000, load)).toEqual(row);
  // The reader's memory tier is empty: Redis answers, and bentocache copies the entry into memory.
  const fromRedis = await reader.getOrSet('track:id:1', () => 60_000, load);
  const fromMemory = await reader.getOrSet('track:id:1', () => 60_000, load);
  expect(loads).toBe(1);
  for (const value of [fromRedis, fromMemory]) {
    expect(value).toEqual(row);
    expect(value.createdAt).toBeInstanceOf(Date);
  }
  // One object shared by every request: nobody may change it.
  expect(() => {
    (fromMemory as { title: string }).title = 'changed';
  }).toThrow(TypeError);
  expect(() => {
    (fromMemory.supportGate as { type: string }).type = 'none';
  }).toThrow(TypeError);
});

it('a list of rows comes back from Redis with the Dates inside each row', async () => {
  const writer = store();
  const reader = store();
  const rows = [row, { ...row, id: 'track-2', createdAt: new Date('2026-02-03T04:05:06.000Z') }];
  await writer.getOrSet('tracks:newest', () => 60_000, async () => structuredClone(rows));
  const fromRedis = await reader.getOrSet<typeof rows>('tracks:newest', () => 60_000, async () => []);
  expect(fromRedis).toEqual(rows);
  for (const listed of fromRedis) expect(listed.createdAt).toBeInstanceOf(Date);
});
