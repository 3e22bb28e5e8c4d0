import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { didForTest, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { createTestRedisUrl } from '@plyr/testing';
import { decideAccess, decideAccessMany, type GatedItem, type SupportGate } from '../src/access.js';
import { createSupporterService, type SupporterService } from '../src/supporters/index.js';

const viewer = didForTest('viewer');
const supportedArtist = didForTest('supported artist');
const otherArtist = didForTest('other artist');
const gate: SupportGate = { type: 'any' };

let fake: FakeAtprotofans;
let redis: Redis;
let supporters: SupporterService;

beforeAll(async () => {
  redis = new Redis(await createTestRedisUrl());
  fake = await startFakeAtprotofans();
});

afterAll(async () => {
  await fake.close();
  redis.disconnect();
});

beforeEach(async () => {
  await redis.flushdb();
  fake.reset();
  fake.setSupporters([[viewer, supportedArtist]]);
  supporters = createSupporterService({ atprotofansUrl: fake.url, redis, cacheTtlSeconds: 60, timeoutMs: 500 });
});

describe('decideAccess', () => {
  it.each([
    { case: 'public, signed out', viewerDid: null, item: { artistDid: otherArtist, supportGate: null }, decision: 'allowed', asks: 0 },
    { case: 'public, signed in', viewerDid: viewer, item: { artistDid: otherArtist, supportGate: null }, decision: 'allowed', asks: 0 },
    { case: 'gated, signed out', viewerDid: null, item: { artistDid: otherArtist, supportGate: gate }, decision: 'login_required', asks: 0 },
    { case: 'gated, the owner', viewerDid: viewer, item: { artistDid: viewer, supportGate: gate }, decision: 'allowed', asks: 0 },
    { case: 'gated, a supporter', viewerDid: viewer, item: { artistDid: supportedArtist, supportGate: gate }, decision: 'allowed', asks: 1 },
    { case: 'gated, not a supporter', viewerDid: viewer, item: { artistDid: otherArtist, supportGate: gate }, decision: 'support_required', asks: 1 },
  ] satisfies Array<{ case: string; viewerDid: string | null; item: GatedItem; decision: string; asks: number }>)(
    '$case → $decision',
    async ({ viewerDid, item, decision, asks }) => {
      expect(await decideAccess(viewerDid, item, supporters, new Date())).toBe(decision);
      expect(fake.requests).toBe(asks);
    },
  );

  it('answers unavailable, not support_required, when atprotofans fails, and the owner still gets in', async () => {
    fake.setMode('error500');
    expect(await decideAccess(viewer, { artistDid: supportedArtist, supportGate: gate }, supporters, new Date())).toBe('unavailable');
    expect(await decideAccess(viewer, { artistDid: otherArtist, supportGate: gate }, supporters, new Date())).toBe('unavailable');
    expect(await decideAccess(viewer, { artistDid: viewer, supportGate: gate }, supporters, new Date())).toBe('allowed');
  });

  it('treats a gate of unknown shape as gated (fails closed)', async () => {
    const unknownGate = { type: 'tier', tier: 'gold' } as unknown as SupportGate;
    expect(await decideAccess(null, { artistDid: otherArtist, supportGate: unknownGate }, supporters, new Date())).toBe('login_required');
    expect(await decideAccess(viewer, { artistDid: otherArtist, supportGate: unknownGate }, supporters, new Date())).toBe('support_required');
  });
});

describe('decideAccessMany', () => {
  const gatedArtists = Array.from({ length: 7 }, (_, i) => didForTest(`gated artist ${i}`));
  const supportedGated = new Set(gatedArtists.slice(0, 2));

  // 50 tracks: 7 gated artists (two of which the viewer supports), public tracks, and the viewer's own gated tracks.
  const tracks: GatedItem[] = Array.from({ length: 50 }, (_, i) => {
    if (i % 10 === 9) return { artistDid: viewer, supportGate: gate };
    if (i % 5 === 4) return { artistDid: gatedArtists[i % 7] as string, supportGate: null };
    return { artistDid: gatedArtists[i % 7] as string, supportGate: gate };
  });
  const expectedFor = (item: GatedItem) =>
    item.supportGate === null || item.artistDid === viewer
      ? 'allowed'
      : supportedGated.has(item.artistDid)
        ? 'allowed'
        : 'support_required';

  beforeEach(() => {
    fake.setSupporters([...supportedGated].map((a) => [viewer, a] as const));
  });

  it('50 tracks by 7 distinct gated artists: at most 7 upstream requests cold, 0 warm, decisions in input order', async () => {
    const cold = await decideAccessMany(viewer, tracks, supporters, new Date());
    expect(cold).toEqual(tracks.map(expectedFor));
    expect(cold.filter((d) => d === 'allowed').length).toBeGreaterThan(0);
    expect(cold.filter((d) => d === 'support_required').length).toBeGreaterThan(0);
    expect(fake.requests).toBeLessThanOrEqual(7);
    expect(new Set(fake.requestLog.map((r) => r.subject))).toEqual(new Set(gatedArtists));

    const warm = await decideAccessMany(viewer, tracks, supporters, new Date());
    expect(warm).toEqual(cold);
    expect(fake.requests).toBe(7);
  });

  it("the owner's own tracks need no upstream request", async () => {
    const own = tracks.filter((t) => t.artistDid === viewer);
    expect(own.length).toBeGreaterThan(0);
    expect(await decideAccessMany(viewer, own, supporters, new Date())).toEqual(own.map(() => 'allowed'));
    expect(fake.requests).toBe(0);
  });

  it('signed out: gated tracks need a login, public ones play, nothing is asked upstream', async () => {
    expect(await decideAccessMany(null, tracks, supporters, new Date())).toEqual(
      tracks.map((t) => (t.supportGate === null ? 'allowed' : 'login_required')),
    );
    expect(fake.requests).toBe(0);
  });

  it('atprotofans failing: gated tracks of others are unavailable, public and own tracks still allowed', async () => {
    fake.setMode('timeout');
    const decisions = await decideAccessMany(viewer, tracks, supporters, new Date());
    expect(decisions).toEqual(
      tracks.map((t) => (t.supportGate === null || t.artistDid === viewer ? 'allowed' : 'unavailable')),
    );
  });

  it('an empty list decides nothing and asks nothing', async () => {
    expect(await decideAccessMany(viewer, [], supporters, new Date())).toEqual([]);
    expect(fake.requests).toBe(0);
  });
});
