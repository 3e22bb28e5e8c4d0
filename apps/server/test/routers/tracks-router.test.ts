import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  artist = await seedMember(app.services, 'router-artist');
  supporter = await seedMember(app.services, 'router-supporter');
  stranger = await seedMember(app.services, 'router-stranger');
  fans.setSupporters([[supporter.did, artist.did]]);
  publicTrack = await seedTrack(app.services, artist, { gated: false });
  gatedTrack = await seedTrack(app.services, artist, { gated: true });
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
});

const code = (err: unknown) => (err instanceof TRPCError ? err.code : String(err));

describe('tracks router through createCaller (no HTTP)', () => {
  it('byId: `gated` follows the one access rule for each viewer, public tracks included', async () => {
    const gatedFor = async (viewer: Member | null, id: string) => (await callerFor(app.services, viewer).tracks.byId({ id })).gated;
    expect(await gatedFor(null, publicTrack.id)).toBe(false);
    expect(await gatedFor(stranger, publicTrack.id)).toBe(false);
    expect(await gatedFor(null, gatedTrack.id)).toBe(true);
    expect(await gatedFor(stranger, gatedTrack.id)).toBe(true);
    expect(await gatedFor(supporter, gatedTrack.id)).toBe(false);
    expect(await gatedFor(artist, gatedTrack.id)).toBe(false);
  });

  it('byId: the gate and the audio URL as the output promises them', async () => {
    const gated = await callerFor(app.services, null).tracks.byId({ id: gatedTrack.id });
    expect(gated.supportGate).toEqual({ type: 'any' });
    expect(gated.audioUrl).toBe(`${app.services.config.publicUrl}/audio/${gatedTrack.fileId}`);
    const open = await callerFor(app.services, null).tracks.byId({ id: publicTrack.id });
    expect(open.supportGate).toBeNull();
    expect(open.audioUrl).toBe(app.services.storage.cdnUrl(publicTrack.fileId, publicTrack.fileType));
  });

  it('list: signed out, every track with its `gated`', async () => {
    const { items } = await callerFor(app.services, null).tracks.list({ limit: 100 });
    const byId = new Map(items.map((t) => [t.id, t.gated]));
    expect(byId.get(publicTrack.id)).toBe(false);
    expect(byId.get(gatedTrack.id)).toBe(true);
  });

  it('protected procedures refuse a context with no viewer; bad input is BAD_REQUEST; unknown ids NOT_FOUND', async () => {
    expect(code(await callerFor(app.services, null).tracks.mine({ limit: 10 }).catch((e) => e))).toBe('UNAUTHORIZED');
    expect(code(await callerFor(app.services, artist).tracks.update({ id: gatedTrack.id, supportGate: { type: 'tier' } as never }).catch((e) => e))).toBe('BAD_REQUEST');
    expect(code(await callerFor(app.services, null).tracks.byId({ id: '00000000-0000-4000-8000-000000000000' }).catch((e) => e))).toBe('NOT_FOUND');
  });

  it('mine: only the viewer’s own tracks', async () => {
    const mine = await callerFor(app.services, artist).tracks.mine({ limit: 100 });
    expect(mine.items.map((t) => t.id).sort()).toEqual([publicTrack.id, gatedTrack.id].sort());
    expect((await callerFor(app.services, stranger).tracks.mine({ limit: 100 })).items).toEqual([]);
  });

  it('auth.exchange in cookie mode needs a session cookie to set: without one it is BAD_REQUEST', async () => {
    const err = await callerFor(app.services, null).auth.exchange({ exchangeToken: 'x', mode: 'cookie' }).catch((e) => e);
    expect(code(err)).toBe('BAD_REQUEST');
  });
});
