import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedisUrl } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { send, statuses } from './client.js';

describe('rate limits across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    const shared = { databaseUrl: database.url, redisUrl: await createTestRedisUrl() };
    const env = { RATE_LIMIT_DEFAULT: '6/minute', RATE_LIMIT_AUTH: '4/minute' };
    [a, b] = await Promise.all([startTestApp(env, shared), startTestApp(env, shared)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropDatabase?.();
  });

  it('two instances on one Redis hold the limit in total, not each', async () => {
    const alternating = await statuses(10, (i) => send((i % 2 ? b : a).url, `/trpc/tracks.list?input=${encodeURIComponent('{}')}`, { from: '127.0.5.1' }));
    expect(alternating).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
  });

  it('each group is shared on its own prefix: auth spent on one instance is spent on the other', async () => {
    const exchange = (app: TestApp) =>
      send(app.url, '/trpc/auth.exchange', { from: '127.0.5.2', json: { exchangeToken: 'x', mode: 'cookie' } });
    expect(await statuses(4, () => exchange(a))).toEqual([401, 401, 401, 401]);
    expect((await exchange(b)).status).toBe(429);
    expect((await send(b.url, `/trpc/tracks.list?input=${encodeURIComponent('{}')}`, { from: '127.0.5.2' })).status).toBe(200);
  });
});
