import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { createApp } from '../../src/app.js';
import { OwnRedis, send, statuses } from './client.js';

const listTracks = (url: string, from: string) => send(url, `/trpc/tracks.list?input=${encodeURIComponent('{}')}`, { from });

describe('rate limits during a Redis outage', () => {
  let redis: OwnRedis;
  let app: TestApp;
  const logged = (text: string) => app.logs.filter((line) => (JSON.parse(line) as { msg?: string }).msg?.includes(text));
  const ready = (url: string) => expect.poll(async () => (await send(url, '/ready')).status, { timeout: 15_000, interval: 100 }).toBe(200);

  beforeAll(async () => {
    redis = await OwnRedis.start();
    app = await startTestApp({ RATE_LIMIT_DEFAULT: '3/minute' }, { redisUrl: redis.url });
  });
  afterAll(async () => {
    // Closing the app's Redis clients waits on a Redis that answers, even after a failed test.
    if (redis && !redis.running) await redis.start();
    await app?.close();
    await redis?.stop();
  });

  it('serves every request while Redis is down, logs it once, and limits again once Redis is back', async () => {
    expect(await statuses(4, () => listTracks(app.url, '127.0.6.1'))).toEqual([200, 200, 200, 429]);

    await redis.stop();
    const during = await statuses(12, (i) => listTracks(app.url, i % 2 ? '127.0.6.1' : '127.0.6.2'));
    expect(during).toEqual(Array(12).fill(200));
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => listTracks(app.url, '127.0.6.2')));
    expect(concurrent.map((a) => a.status)).toEqual(Array(10).fill(200));
    const readiness = await send(app.url, '/ready');
    expect(readiness.status).toBe(503);
    expect(readiness.body.status).toBe('degraded');
    expect(logged('rate limiting suspended')).toHaveLength(1);

    // A restarted Redis has lost the limiter's Lua scripts too (NOSCRIPT): the store reloads them.
    await redis.start();
    await ready(app.url);
    expect(await statuses(4, () => listTracks(app.url, '127.0.6.3'))).toEqual([200, 200, 200, 429]);
    expect(logged('rate limiting resumed')).toHaveLength(1);
    expect(logged('rate limiting suspended')).toHaveLength(1);
  });

  it('a limiter built while Redis is down serves, then counts once Redis is up', async () => {
    await redis.stop();
    // Same services, a second HTTP front built now: its stores load their scripts against a dead Redis.
    const server: Server = await new Promise((resolve) => {
      const s = createApp(app.ctx).listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      expect(await statuses(6, () => listTracks(url, '127.0.6.4'))).toEqual(Array(6).fill(200));
      await redis.start();
      await ready(url);
      expect(await statuses(4, () => listTracks(url, '127.0.6.5'))).toEqual([200, 200, 200, 429]);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});
