import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuedJobs, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import {
  bucketsHolding,
  mutate,
  ok,
  query,
  readTrackRecord,
  recordKeyOf,
  uploadTrack,
  type Caller,
  type Track,
} from './helpers.js';

/**
 * Early access (`supportGate.publicAt`): gated until the instant, public for everyone at it by the
 * clock alone (no supporter check, no waiting for a job), then the scheduled release job moves the
 * audio to the public bucket, clears the gate and rewrites the record.
 */

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let app: TestApp;
let artist: Caller & { did: string };
let early: Caller;
let late: Caller;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' });
  const [a, e, l] = await Promise.all(['earlyartist', 'earlybird', 'latecomer'].map((name) => network.createAccount(name)));
  artist = await loginAs(app, a!.handle, a!.password);
  early = await loginAs(app, e!.handle, e!.password);
  late = await loginAs(app, l!.handle, l!.password);
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
  await network?.close();
});

const audio = (fileId: string, who: Caller, method: 'GET' | 'HEAD' = 'GET') =>
  fetch(`${app.url}/audio/${fileId}`, { method, redirect: 'manual', headers: who.headers });
const row = (id: string) => app.services.db.query.tracks.findFirst({ where: (t, { eq }) => eq(t.id, id) });
const releaseJobs = async (id: string) => (await queuedJobs(app.services.db)).filter((j) => j.key === `track-release:${id}`);
/** The field errors the API reports on `supportGate` (zod flattens the nested path to its top field). */
const fieldErrors = (zodError: unknown) => (zodError as { fieldErrors: Record<string, string[]> }).fieldErrors.supportGate;
const inSeconds = (s: number) => new Date(Date.now() + s * 1_000).toISOString();

describe('a track whose publicAt passes', () => {
  it('402 before the instant, 307 at it without a supporter check, then the release job finishes the move', async () => {
    const track = await uploadTrack(app, artist, { title: 'Early Bird', supportGate: { type: 'any' } });
    const rkey = await recordKeyOf(app, track.id);
    const createdAt = (await readTrackRecord(network.pdsUrl, artist.did, rkey))!.createdAt;

    const publicAt = inSeconds(3);
    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt } }));
    expect(updated.supportGate).toEqual({ type: 'any', publicAt });
    expect((await audio(track.fileId, early)).status).toBe(402);
    expect(ok(await query<Track>(app, early, 'tracks.byId', { id: track.id }))).toMatchObject({ gated: true, supportGate: { type: 'any', publicAt } });
    const asked = fans.requests;
    expect(asked).toBeGreaterThan(0);

    // The instant itself is what is under test: poll /audio until the clock opens it.
    await expect.poll(async () => (await audio(track.fileId, early)).status, { timeout: 30_000, interval: 50 }).toBe(307);
    const firstOpen = Date.now();
    // Someone never checked before: no supporter source is asked for a track that is public now.
    expect((await audio(track.fileId, late, 'HEAD')).status).toBe(307);
    const get = await audio(track.fileId, late);
    expect(get.status).toBe(307);
    expect(ok(await query<Track>(app, late, 'tracks.byId', { id: track.id })).gated).toBe(false);
    expect(ok(await query<{ url: string }>(app, late, 'downloads.track', { id: track.id })).url).toMatch(/^http/);
    expect(fans.requests).toBe(asked);
    console.log(`early access: first 307 ${firstOpen - Date.parse(publicAt)} ms after publicAt`);

    // The release job: gate cleared, audio in the public bucket alone, record rewritten as public.
    await expect.poll(async () => (await row(track.id))?.supportGate, { timeout: 60_000 }).toBeNull();
    await expect.poll(async () => (await row(track.id))?.moving, { timeout: 60_000 }).toBe(false);
    expect((await row(track.id))!.bucket).toBe('public');
    expect((await row(track.id))!.updatedAt.getTime()).toBeGreaterThanOrEqual(Date.parse(publicAt));
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    const cdnUrl = app.services.storage.cdnUrl(track.fileId, track.fileType);
    await expect.poll(() => readTrackRecord(network.pdsUrl, artist.did, rkey), { timeout: 60_000 }).toMatchObject({ audioUrl: cdnUrl });
    const record = (await readTrackRecord(network.pdsUrl, artist.did, rkey))!;
    expect(record).not.toHaveProperty('supportGate');
    expect(record).toHaveProperty('audioBlob');
    expect(record.createdAt).toBe(createdAt);
    expect((await audio(track.fileId, late)).headers.get('location')).toBe(cdnUrl);
    expect(await releaseJobs(track.id)).toEqual([]);
    expect(fans.requests).toBe(asked);
  });
});

describe('scheduling the release', () => {
  it('finalizeUpload with publicAt: stored in the private bucket, the record carries publicAt, one release at that instant', async () => {
    const publicAt = inSeconds(3_600);
    const track = await uploadTrack(app, artist, { title: 'Uploaded Early', supportGate: { type: 'any', publicAt } });
    expect(track).toMatchObject({ supportGate: { type: 'any', publicAt }, gated: false });
    expect(await bucketsHolding(app, track)).toEqual(['private']);
    const record = await readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, track.id));
    expect(record).toMatchObject({ supportGate: { type: 'any', publicAt }, audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}` });
    expect(record).not.toHaveProperty('audioBlob');
    expect((await releaseJobs(track.id)).map((j) => j.runAt.toISOString())).toEqual([publicAt]);
  });

  it('changing publicAt twice leaves one release, at the last time; the record follows and keeps createdAt', async () => {
    const track = await uploadTrack(app, artist, { title: 'Rescheduled', supportGate: { type: 'any' } });
    const rkey = await recordKeyOf(app, track.id);
    const createdAt = (await readTrackRecord(network.pdsUrl, artist.did, rkey))!.createdAt;
    const [first, second, last] = [inSeconds(3_600), inSeconds(7_200), inSeconds(1_800)];
    for (const publicAt of [first, second, last]) {
      ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt } }));
    }
    const jobs = await releaseJobs(track.id);
    expect(jobs.map((j) => [j.runAt.toISOString(), (j.payload as { publicAt: string }).publicAt])).toEqual([[last, last]]);
    await expect
      .poll(() => readTrackRecord(network.pdsUrl, artist.did, rkey), { timeout: 60_000 })
      .toMatchObject({ supportGate: { type: 'any', publicAt: last }, createdAt });
    // A change of publicAt alone moves no audio.
    expect(await bucketsHolding(app, track)).toEqual(['private']);
  });

  it('removing publicAt, or un-gating early, removes the scheduled release', async () => {
    const track = await uploadTrack(app, artist, { title: 'Changed Mind', supportGate: { type: 'any', publicAt: inSeconds(3_600) } });
    expect(await releaseJobs(track.id)).toHaveLength(1);
    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }));
    expect(await releaseJobs(track.id)).toEqual([]);
    expect(ok(await query<Track>(app, early, 'tracks.byId', { id: track.id }))).toMatchObject({ gated: true, supportGate: { type: 'any' } });

    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt: inSeconds(3_600) } }));
    expect(await releaseJobs(track.id)).toHaveLength(1);
    ok(await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: null }));
    expect(await releaseJobs(track.id)).toEqual([]);
    expect(ok(await query<Track>(app, early, 'tracks.byId', { id: track.id }))).toMatchObject({ gated: false, supportGate: null });
  });

  it('deleting the track removes its scheduled release', async () => {
    const track = await uploadTrack(app, artist, { title: 'Gone Early', supportGate: { type: 'any', publicAt: inSeconds(3_600) } });
    ok(await mutate(app, artist, 'tracks.delete', { id: track.id }));
    expect(await releaseJobs(track.id)).toEqual([]);
  });
});

describe('publicAt input', () => {
  const cases = [
    ['not a date', 'next tuesday'],
    ['without a zone', '2027-01-31T12:00:00'],
    ['a date alone', '2027-01-31'],
    ['an impossible day', '2027-02-30T12:00:00Z'],
    ['in the past', new Date(Date.now() - 60_000).toISOString()],
    ['more than 2 years ahead', new Date(Date.now() + 2 * 366 * 86_400_000).toISOString()],
    ['not a string', 1_800_000_000_000],
  ] as const;

  it.each(cases)('%s → BAD_REQUEST with a field error on supportGate (update and finalizeUpload)', async (_name, publicAt) => {
    const track = await uploadTrack(app, artist, { title: 'Valid Gate Only' });
    const update = await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt } });
    expect(update.error?.data.code).toBe('BAD_REQUEST');
    expect(fieldErrors(update.error?.data.zodError)).toEqual([expect.stringMatching(/^must be /)]);
    const ticket = ok(
      await mutate<{ uploadId: string }>(app, artist, 'tracks.createUpload', { filename: 'x.mp3', contentType: 'audio/mpeg', size: 10 }),
    );
    const finalize = await mutate(app, artist, 'tracks.finalizeUpload', { uploadId: ticket.uploadId, title: 'x', supportGate: { type: 'any', publicAt } });
    expect(finalize.error?.data.code).toBe('BAD_REQUEST');
    expect(fieldErrors(finalize.error?.data.zodError)).toEqual([expect.stringMatching(/^must be /)]);
    expect((await row(track.id))!.supportGate).toBeNull();
  });

  it('accepts an offset zone and stores the same instant in UTC; an unknown gate key is still refused', async () => {
    const track = await uploadTrack(app, artist, { title: 'Zoned' });
    const instant = new Date(Math.floor(Date.now() / 1_000) * 1_000 + 86_400_000);
    // The same instant on a clock two hours ahead of UTC.
    const zoned = `${new Date(instant.getTime() + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;
    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', publicAt: zoned } }));
    expect(updated.supportGate).toEqual({ type: 'any', publicAt: instant.toISOString() });
    const unknown = await mutate(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any', tier: 'gold' } });
    expect(unknown.error?.data.code).toBe('BAD_REQUEST');
  });
});
