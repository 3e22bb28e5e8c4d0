import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { OwnRedis } from '../rate-limit/client.js';
import { eventually, http, trpcMutation, type HttpAnswer } from './support/http.js';
import { startLoad, tally, type LoadRequest } from './support/load.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from './support/seed.js';

/**
 * Redis (a redis-server of this test's own) dies under mixed load and comes back: nothing fails,
 * rate limits fail open, supporter checks go to atprotofans, sessions resolve from Postgres,
 * /ready says degraded, and everything Redis backs works again without a restart.
 */

const LIMIT = 30;
/** Answers of the load recorded in each phase (up, down, back) before the test moves on. */
const PHASE_SAMPLES = 25;

let redis: OwnRedis;
let atprotofans: FakeAtprotofans;
let app: TestApp;
let artist: Member;
let listeners: Member[];
let gated: SeededTrack;
let open: SeededTrack;

beforeAll(async () => {
  redis = await OwnRedis.start();
  atprotofans = await startFakeAtprotofans();
  app = await startTestApp({ ATPROTOFANS_URL: atprotofans.url, RATE_LIMIT_DEFAULT: `${LIMIT}/minute` }, { redisUrl: redis.url });
  artist = await seedMember(app.services, 'redis-artist');
  listeners = await Promise.all(Array.from({ length: 40 }, (_, i) => seedMember(app.services, `redis-listener-${i}`)));
  for (const l of listeners) atprotofans.addSupporter(l.did, artist.did);
  gated = await seedTrack(app.services, artist, { gated: true });
  open = await seedTrack(app.services, artist, { gated: false });
});

afterAll(async () => {
  await app?.close();
  await redis?.stop();
  await atprotofans?.close();
});

const ready = () => http(`${app.url}/ready`, { timeoutMs: 10_000 });
const listenerOf = (i: number) => listeners[i % listeners.length]!;

/** Each request signed in as a different listener, so the load alone stays under each one's limit. */
const mix: LoadRequest[] = [
  ['auth.me', (i) => http(`${app.url}/trpc/auth.me`, { headers: listenerOf(i).cookie })],
  ['tracks.list', (i) => http(`${app.url}/trpc/tracks.list`, { headers: listenerOf(i).bearer })],
  ['gated /audio', (i) => http(`${app.url}/audio/${gated.fileId}`, { headers: listenerOf(i).bearer })],
  ['public /audio', (i) => http(`${app.url}/audio/${open.fileId}`, { headers: listenerOf(i).bearer })],
];
const EXPECTED: Record<string, number> = { 'auth.me': 200, 'tracks.list': 200, 'gated /audio': 307, 'public /audio': 307 };

describe('Redis down under load', () => {
  it('serves every request through the outage and after it; limits, caches and /ready follow Redis', async () => {
    // One client at its limit before the outage: the proof that limits fail open, then resume.
    const capped = await seedMember(app.services, 'capped');
    const asCapped = () => http(`${app.url}/trpc/auth.me`, { headers: capped.bearer });
    const before: number[] = [];
    for (let i = 0; i <= LIMIT; i++) before.push((await asCapped()).status);
    expect(before.at(-1)).toBe(429);

    const load = startLoad(mix, { concurrency: 4, pauseMs: 10, phase: 'redis up' });
    await load.answered('redis up', PHASE_SAMPLES);

    await redis.stop();
    load.phase = 'redis down';
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.json).toMatchObject({ status: 'degraded', failed: ['redis'] });
    expect(readiness.ms).toBeLessThan(3_000);

    // Rate limits fail open: the capped client is served again.
    const during: HttpAnswer[] = [];
    for (let i = 0; i < 5; i++) during.push(await asCapped());
    expect(during.map((a) => a.status)).toEqual(Array(5).fill(200));

    // Supporter answers cannot be cached in Redis: with this process's 1 s memory tier emptied before
    // each check, every check asks atprotofans again, and is still answered. The supporter is not one
    // of the load's listeners, so no concurrent check can share (single-flight) the upstream request.
    const supporter = await seedMember(app.services, 'outage-supporter');
    atprotofans.addSupporter(supporter.did, artist.did);
    const asked = () => atprotofans.requestLog.filter((r) => r.supporter === supporter.did).length;
    for (let i = 0; i < 3; i++) {
      app.services.supporters.forgetLocalAnswers();
      expect((await http(`${app.url}/audio/${gated.fileId}`, { headers: supporter.bearer })).status).toBe(307);
    }
    expect(asked()).toBe(3);

    // A write still works (the move job cannot be queued now; the row says what is pending).
    const update = await trpcMutation(app.url, 'tracks.update', { id: open.id, title: 'Written during the outage' }, artist.bearer, 15_000);
    expect(update.status).toBe(200);
    expect(update.ms).toBeLessThan(7_000);

    await load.answered('redis down', PHASE_SAMPLES);
    await redis.start();
    load.phase = 'redis back';
    await eventually('/ready is 200 again', async () => (await ready()).status === 200, 15_000);
    await load.answered('redis back', PHASE_SAMPLES);
    const samples = await load.stop();

    // Nothing failed at any time: no 5xx, no sign-out, no hang. 429 only while Redis counted.
    const bad = samples.filter((s) => s.status !== EXPECTED[s.kind] && !(s.status === 429 && s.phase !== 'redis down'));
    expect(bad, JSON.stringify(tally(bad))).toEqual([]);
    for (const phase of ['redis up', 'redis down', 'redis back']) {
      expect(samples.filter((s) => s.phase === phase).length, phase).toBeGreaterThanOrEqual(PHASE_SAMPLES);
    }
    const slowest = Math.max(...samples.filter((s) => s.phase === 'redis down').map((s) => s.ms));
    expect(slowest, 'slowest request while Redis was down (ms)').toBeLessThan(5_000);

    // Back without a restart: limits count again (the restarted Redis starts from zero) ...
    const after: number[] = [];
    for (let i = 0; i <= LIMIT; i++) after.push((await asCapped()).status);
    expect(after.slice(0, 3)).toEqual([200, 200, 200]);
    expect(after.at(-1)).toBe(429);

    // ... and supporter answers are cached again: a second check does not go upstream.
    const fresh = listeners[1]!;
    await http(`${app.url}/audio/${gated.fileId}`, { headers: fresh.bearer });
    const upstreamAfter = atprotofans.requests;
    expect((await http(`${app.url}/audio/${gated.fileId}`, { headers: fresh.bearer })).status).toBe(307);
    expect(atprotofans.requests).toBe(upstreamAfter);

    // The outage was reported, not flooded: a handful of lines for hundreds of requests.
    const redisErrors = app.logs.filter((l) => /"level":(40|50)/.test(l) && /redis/i.test(l));
    expect(redisErrors.length).toBeGreaterThan(0);
    expect(redisErrors.length).toBeLessThan(25);
  });
});
