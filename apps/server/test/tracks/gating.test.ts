import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAtprotofans, queuedJobs, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork } from '@plyr/testing/atproto/network';
import { loginAs } from '@plyr/testing/atproto/login';
import {
  anonymous,
  bucketsHolding,
  gate,
  mp3Bytes,
  mutate,
  ok,
  query,
  readTrackRecord,
  recordKeyOf,
  startMoveWorker,
  uploadTrack,
  type Caller,
  type TestWorker,
  type Track,
} from './helpers.js';

/**
 * Gate changes. The API runs no worker of its own here: each test starts one (with pause points in
 * the move) when it wants the move to happen, so "before the job" and "during the job" are exact.
 */

let network: LocalAtprotoNetwork;
let fans: FakeAtprotofans;
let app: TestApp;
let artist: Caller & { did: string; handle: string };
let supporter: Caller;
let stranger: Caller;
let worker: TestWorker | null = null;

beforeAll(async () => {
  network = await startLocalAtprotoNetwork();
  fans = await startFakeAtprotofans();
  app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false' }, { runWorker: false });
  const [a, s, n] = await Promise.all(['artist', 'fan', 'stranger'].map((name) => network.createAccount(name)));
  artist = await loginAs(app, a!.handle, a!.password);
  supporter = await loginAs(app, s!.handle, s!.password);
  stranger = await loginAs(app, n!.handle, n!.password);
  fans.setSupporters([[s!.did, a!.did]]);
});

afterEach(async () => {
  await worker?.close();
  worker = null;
});

afterAll(async () => {
  await app?.close();
  await fans?.close();
  await network?.close();
});

const audio = (fileId: string, who: Caller, method: 'GET' | 'HEAD' = 'GET', headers: Record<string, string> = {}) =>
  fetch(`${app.url}/audio/${fileId}`, { method, redirect: 'manual', headers: { ...who.headers, ...headers } });

async function byId(id: string, who: Caller = artist): Promise<Track> {
  return ok(await query<Track>(app, who, 'tracks.byId', { id }));
}

async function record(trackId: string) {
  return readTrackRecord(network.pdsUrl, artist.did, await recordKeyOf(app, trackId));
}

/** Follows an /audio redirect with a Range request: the audio must actually be there. */
async function expectPlayable(fileId: string, who: Caller, bytes: Buffer): Promise<void> {
  const res = await audio(fileId, who);
  expect(res.status).toBe(307);
  const media = await fetch(res.headers.get('location')!, { headers: { Range: 'bytes=0-15' } });
  expect(media.status).toBe(206);
  expect(Buffer.from(await media.arrayBuffer()).equals(bytes.subarray(0, 16))).toBe(true);
}

describe('toggling the gate', () => {
  it('public → gated: access changes at once (402 before the move), then the public copy is gone and the record points at the API', async () => {
    const bytes = mp3Bytes(8_000);
    const track = await uploadTrack(app, artist, { title: 'Soon exclusive', bytes });
    const before = await record(track.id);

    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: { type: 'any' } }));
    expect(updated).toMatchObject({ supportGate: { type: 'any' }, gated: false, storage: 'moving' });
    expect(updated.audioUrl).toBe(`${app.ctx.env.publicUrl}/audio/${track.fileId}`);

    // No worker has run: the object is still public, yet access already follows the gate.
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    const refused = await audio(track.fileId, stranger);
    expect(refused.status).toBe(402);
    expect(refused.headers.get('x-support-required')).toBe('true');
    expect((await audio(track.fileId, anonymous)).status).toBe(401);
    expect((await byId(track.id, stranger)).gated).toBe(true);
    // The owner plays it from wherever it is right now.
    await expectPlayable(track.fileId, artist, bytes);
    await expectPlayable(track.fileId, supporter, bytes);

    worker = await startMoveWorker(app);
    await worker.whenIdle();

    expect(await bucketsHolding(app, track)).toEqual(['private']);
    expect((await fetch(app.services.storage.cdnUrl(track.fileId, 'mp3'))).status).not.toBe(200);
    expect(await byId(track.id)).toMatchObject({ storage: 'ready', supportGate: { type: 'any' } });
    // Gated: the record no longer references the audio blob.
    const { audioBlob: _publicBlob, ...publicFields } = before!;
    expect(await record(track.id)).toEqual({
      ...publicFields,
      audioUrl: `${app.ctx.env.publicUrl}/audio/${track.fileId}`,
      supportGate: { type: 'any' },
      createdAt: before!.createdAt,
    });
    await expectPlayable(track.fileId, artist, bytes);
  });

  it('gated → public: the owner never gets a 404 while the move runs, then the private copy is gone and the record points at the CDN', async () => {
    const bytes = mp3Bytes(8_000);
    const track = await uploadTrack(app, artist, { title: 'Going public', supportGate: { type: 'any' }, bytes });
    const before = await record(track.id);
    expect(before).toMatchObject({ supportGate: { type: 'any' } });

    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, supportGate: null }));
    expect(updated).toMatchObject({ supportGate: null, gated: false, storage: 'moving' });
    // Still in the private bucket: served through the API (presigned), not the CDN, to everyone now.
    expect(updated.audioUrl).toBe(`${app.ctx.env.publicUrl}/audio/${track.fileId}`);
    await expectPlayable(track.fileId, anonymous, bytes);

    // Pause the move at each step and check playback there; poll continuously as well.
    const steps = { afterCopy: gate(), beforeDeleteSource: gate(), beforeRecordWrite: gate() };
    const pauseAt = (step: keyof typeof steps) => async () => {
      steps[step].arrive();
      await steps[step].promise;
    };
    worker = await startMoveWorker(app, {
      afterCopy: pauseAt('afterCopy'),
      beforeDeleteSource: pauseAt('beforeDeleteSource'),
      beforeRecordWrite: pauseAt('beforeRecordWrite'),
    });
    const statuses: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        statuses.push((await audio(track.fileId, artist)).status, (await audio(track.fileId, artist, 'HEAD')).status);
      }
    })();

    for (const step of ['afterCopy', 'beforeDeleteSource', 'beforeRecordWrite'] as const) {
      await steps[step].reached;
      await expectPlayable(track.fileId, artist, bytes);
      await expectPlayable(track.fileId, anonymous, bytes);
      // Read (and so cached) at every step: the storage has settled once the record write is next.
      expect(await byId(track.id, anonymous)).toMatchObject({ storage: step === 'beforeRecordWrite' ? 'ready' : 'moving' });
      steps[step].resolve();
    }
    await worker.whenIdle();
    polling = false;
    await poller;

    expect(statuses.length).toBeGreaterThan(4);
    expect(statuses.filter((s) => s !== 307)).toEqual([]);
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    const done = await byId(track.id, anonymous);
    expect(done).toMatchObject({ storage: 'ready', gated: false, audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3') });
    const after = await record(track.id);
    expect(after).toEqual({
      $type: 'fm.plyr.track',
      title: 'Going public',
      artist: artist.handle,
      audioUrl: app.services.storage.cdnUrl(track.fileId, 'mp3'),
      fileType: 'mp3',
      createdAt: before!.createdAt,
      audioBlob: { $type: 'blob', ref: { $link: expect.any(String) }, mimeType: 'audio/mpeg', size: bytes.length },
    });
    const cdn = await audio(track.fileId, anonymous);
    expect(cdn.status).toBe(307);
    expect(cdn.headers.get('location')).toBe(app.services.storage.cdnUrl(track.fileId, 'mp3'));
  });

  it('a title change rewrites the record in place, keeping createdAt', async () => {
    const track = await uploadTrack(app, artist, { title: 'Draft name' });
    const before = await record(track.id);
    ok(await mutate<Track>(app, artist, 'tracks.update', { id: track.id, title: 'Final name' }));
    worker = await startMoveWorker(app);
    await worker.whenIdle();
    expect(await record(track.id)).toEqual({ ...before, title: 'Final name' });
    expect(await bucketsHolding(app, track)).toEqual(['public']);
  });
});

describe('viewer-resolved gated', () => {
  it('is false for public tracks, the owner and a supporter; true for anonymous and a non-supporter (list, byId, mine, update)', async () => {
    const gated = await uploadTrack(app, artist, { title: 'Gated one', supportGate: { type: 'any' } });
    const open = await uploadTrack(app, artist, { title: 'Open one' });
    const viewers = { anonymous, owner: artist, supporter, stranger };
    const expected = { anonymous: true, owner: false, supporter: false, stranger: true };

    for (const [name, who] of Object.entries(viewers) as Array<[keyof typeof viewers, Caller]>) {
      const list = ok(await query<{ items: Track[] }>(app, who, 'tracks.list', { limit: 100 }));
      const inList = (id: string) => list.items.find((t) => t.id === id)!;
      expect(inList(gated.id).gated, `list, ${name}`).toBe(expected[name]);
      expect(inList(open.id).gated, `list public, ${name}`).toBe(false);
      expect((await byId(gated.id, who)).gated, `byId, ${name}`).toBe(expected[name]);
      expect((await byId(open.id, who)).gated, `byId public, ${name}`).toBe(false);
    }
    const mine = ok(await query<{ items: Track[] }>(app, artist, 'tracks.mine'));
    expect(mine.items.find((t) => t.id === gated.id)?.gated).toBe(false);
    const updated = ok(await mutate<Track>(app, artist, 'tracks.update', { id: gated.id, title: 'Gated one (remaster)' }));
    expect(updated.gated).toBe(false);

    // One supporter validation per distinct artist per request, not one per track.
    fans.reset();
    await app.services.redis!.flushdb();
    app.services.supporters.forgetLocalAnswers();
    ok(await query(app, stranger, 'tracks.list', { limit: 100 }));
    expect(fans.requests).toBe(1);
  });

  it('reports gated (never "not a supporter") while atprotofans fails, and recovers', async () => {
    const track = await uploadTrack(app, artist, { title: 'During outage', supportGate: { type: 'any' } });
    await app.services.redis!.flushdb();
    app.services.supporters.forgetLocalAnswers();
    fans.setMode('error500');
    const during = await byId(track.id, supporter);
    expect(during.gated).toBe(true);
    const res = await audio(track.fileId, supporter);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    fans.setMode('ok');
    expect((await byId(track.id, supporter)).gated).toBe(false);
  });
});

describe('ownership', () => {
  it("refuses another user's update or delete with FORBIDDEN and changes nothing", async () => {
    const track = await uploadTrack(app, artist, { title: 'Not yours' });
    const recordBefore = await record(track.id);
    const update = await mutate(app, stranger, 'tracks.update', { id: track.id, title: 'Hijacked', supportGate: { type: 'any' } });
    expect(update.error?.data.code).toBe('FORBIDDEN');
    expect(update.status).toBe(403);
    const del = await mutate(app, stranger, 'tracks.delete', { id: track.id });
    expect(del.error?.data.code).toBe('FORBIDDEN');

    expect(await byId(track.id)).toEqual(track);
    expect(await bucketsHolding(app, track)).toEqual(['public']);
    expect(await record(track.id)).toEqual(recordBefore);
    // No move was enqueued for it (this app runs no worker, so a queued job would still be there).
    expect((await queuedJobs(app.services.db)).filter((j) => j.key === `track-sync:${track.id}`)).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown id and UNAUTHORIZED when signed out', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await mutate(app, artist, 'tracks.update', { id, title: 'x' })).error?.data.code).toBe('NOT_FOUND');
    expect((await mutate(app, artist, 'tracks.delete', { id })).error?.data.code).toBe('NOT_FOUND');
    expect((await query(app, artist, 'tracks.byId', { id })).error?.data.code).toBe('NOT_FOUND');
    expect((await mutate(app, anonymous, 'tracks.delete', { id })).status).toBe(401);
  });

  it('lets the owner delete: the row, the object and the record are gone', async () => {
    const track = await uploadTrack(app, artist, { title: 'Short-lived', supportGate: { type: 'any' } });
    const rkey = await recordKeyOf(app, track.id);
    ok(await mutate(app, artist, 'tracks.delete', { id: track.id }));
    expect((await query(app, artist, 'tracks.byId', { id: track.id })).error?.data.code).toBe('NOT_FOUND');
    expect(await bucketsHolding(app, track)).toEqual([]);
    expect(await readTrackRecord(network.pdsUrl, artist.did, rkey)).toBeNull();
    expect((await audio(track.fileId, artist)).status).toBe(404);
  });
});

describe('tracks.list', () => {
  it('pages newest first with a cursor, without repeats or gaps', async () => {
    const mine = async (cursor?: string) =>
      ok(await query<{ items: Track[]; nextCursor: string | null }>(app, artist, 'tracks.mine', { limit: 2, ...(cursor ? { cursor } : {}) }));
    const all = ok(await query<{ items: Track[] }>(app, artist, 'tracks.mine', { limit: 100 })).items;
    expect(all.length).toBeGreaterThan(4);
    const seen: Track[] = [];
    let cursor: string | undefined;
    do {
      const page = await mine(cursor);
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((t) => t.id)).toEqual(all.map((t) => t.id));
    const times = seen.map((t) => Date.parse(t.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const bad = await query(app, anonymous, 'tracks.list', { cursor: 'not-a-cursor' });
    expect(bad.error?.data.code).toBe('BAD_REQUEST');
  });
});
