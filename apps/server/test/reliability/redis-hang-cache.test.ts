import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/index.js';
import { OwnRedis } from '../rate-limit/client.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { http } from './support/http.js';
import { seedMember, seedTrack, type SeededTrack } from './support/seed.js';

/**
 * Redis hanging (connections kept open, nothing answered): no bus message arrives and no
 * connection closes, yet no in-process entry may be served past the bound. A row changed behind
 * the cache's back stands in for a write another instance made and whose invalidation was lost:
 * once the hang is noticed, the next play reads PostgreSQL and sees it.
 */

let redis: OwnRedis;
let relay: FaultProxy;
let app: TestApp;
let track: SeededTrack;

beforeAll(async () => {
  redis = await OwnRedis.start();
  relay = await startFaultProxy(redis.port);
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' }, { redisUrl: `redis://127.0.0.1:${relay.port}`, runWorker: false });
  const artist = await seedMember(app.services, 'hang-artist');
  track = await seedTrack(app.services, artist, { gated: false });
});

afterAll(async () => {
  await relay?.setMode('up');
  await app?.close();
  await relay?.close();
  await redis?.stop();
});

const play = async () => (await http(`${app.url}/audio/${track.fileId}`)).status;
const logged = (text: string, from: number) => app.logs.slice(from).some((line) => line.includes(text));

describe('Redis hanging', () => {
  it('stops serving the memory tier, then clears it and serves again once Redis answers', async () => {
    for (let i = 0; i < 3; i++) expect(await play()).toBe(307);
    // Gone from PostgreSQL; the cache still holds the row, and nothing will tell it.
    if (!/^[0-9a-f-]{36}$/.test(track.id)) throw new Error('unexpected id shape');
    await app.services.db.execute(`delete from tracks where id = '${track.id}'`);
    expect(await play()).toBe(307);

    const seen = app.logs.length;
    await relay.setMode('blackhole');
    await expect.poll(() => logged('hot-read cache bypassed', seen), { timeout: 10_000 }).toBe(true);
    expect(await play()).toBe(404);

    await relay.setMode('up');
    await expect.poll(() => logged('hot-read cache serving again', seen), { timeout: 20_000 }).toBe(true);
    // Both tiers were cleared: what was cached before the hang is not served again.
    for (let i = 0; i < 3; i++) expect(await play()).toBe(404);
  });
});
