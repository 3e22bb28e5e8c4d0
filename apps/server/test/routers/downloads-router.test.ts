import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { likes } from '@plyr/db';
import { startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { seedMember, seedTrack, type Member, type SeededTrack } from '../reliability/support/seed.js';
import { callerFor } from './callers.js';

let app: TestApp;
let fans: FakeAtprotofans;
let artist: Member;
let supporter: Member;
let stranger: Member;
let publicTrack: SeededTrack;
let gatedTrack: SeededTrack;

beforeAll(async () => {
  fans = await startFakeAtprotofans();
  app = await startTestApp({ ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' }, { runWorker: false });
  artist = await seedMember(app.services, 'dl-artist');
  supporter = await seedMember(app.services, 'dl-supporter');
  stranger = await seedMember(app.services, 'dl-stranger');
  fans.setSupporters([[supporter.did, artist.did]]);
  publicTrack = await seedTrack(app.services, artist, { gated: false });
  gatedTrack = await seedTrack(app.services, artist, { gated: true });
  // Liked directly in the table: the like procedure's record job is not what these tests are about.
  for (const member of [supporter, stranger]) {
    await app.services.db.insert(likes).values([
      { did: member.did, trackId: publicTrack.id },
      { did: member.did, trackId: gatedTrack.id },
    ]);
  }
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
});

const code = (err: unknown) => (err instanceof TRPCError ? err.code : String(err));

describe('downloads router through createCaller (no HTTP)', () => {
  it('track: a presigned attachment for a track the viewer may play', async () => {
    const download = await callerFor(app.services, stranger).downloads.track({ id: publicTrack.id });
    expect(download.filename).toMatch(/\.mp3$/);
    const res = await fetch(download.url, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(publicTrack.bytes);
    expect((await callerFor(app.services, supporter).downloads.track({ id: gatedTrack.id })).url).toBeTruthy();
  });

  it('track: the refusals of the one access rule, as tRPC codes', async () => {
    const refusal = (viewer: Member | null, id: string) =>
      callerFor(app.services, viewer).downloads.track({ id }).then(() => 'served', code);
    expect(await refusal(stranger, gatedTrack.id)).toBe('PAYMENT_REQUIRED');
    expect(await refusal(null, gatedTrack.id)).toBe('UNAUTHORIZED');
    expect(await refusal(stranger, '00000000-0000-4000-8000-000000000000')).toBe('NOT_FOUND');
  });

  it('likedTracks: a download for each playable like, `gated` skips for the rest, the same decision as `gated`', async () => {
    const forStranger = await callerFor(app.services, stranger).downloads.likedTracks();
    const byId = new Map(forStranger.items.map((item) => [item.track.id, item]));
    expect(byId.get(publicTrack.id)).toMatchObject({ skipped: null, track: { gated: false } });
    expect(byId.get(publicTrack.id)?.download?.url).toBeTruthy();
    expect(byId.get(gatedTrack.id)).toMatchObject({ skipped: 'gated', download: null, track: { gated: true } });

    const forSupporter = await callerFor(app.services, supporter).downloads.likedTracks();
    expect(forSupporter.items.map((item) => item.skipped)).toEqual([null, null]);
  });

  it('preferences: stored on the user, read back through another caller', async () => {
    await callerFor(app.services, stranger).downloads.setPreferences({ autoDownloadLiked: true });
    expect(await callerFor(app.services, stranger).downloads.preferences()).toMatchObject({ autoDownloadLiked: true });
  });
});
