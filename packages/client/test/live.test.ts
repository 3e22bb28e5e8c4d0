import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import {
  audioUrl,
  canPlay,
  createPlyrClient,
  isPlyrError,
  isPublicAt,
  PlyrTransferError,
  shouldAutoDownload,
  type LikedTrackResult,
  type PlyrClient,
  type Track,
  type UploadProgress,
} from '../src/index.js';
import { liveTest, mp3Bytes, sameBytes } from './support/live-api.js';

/** The SDK, from source, against the real API in Node (token mode unless said otherwise). */

const publicBytes = mp3Bytes(64 * 1024);
const gatedBytes = mp3Bytes(16 * 1024);

const liveFileTest = liveTest
  // A public and a gated track by the artist, uploaded once for the file.
  .extend('tracks', { scope: 'file' }, async ({ artist }) => {
    const publicTrack = await artist.client.uploadTrack(new Blob([publicBytes]), { title: 'Open Air', filename: 'open-air.mp3' });
    const gatedTrack = await artist.client.uploadTrack(new Blob([gatedBytes]), {
      title: 'Backstage',
      filename: 'backstage.mp3',
      supportGate: { type: 'any' },
    });
    return { publicTrack, gatedTrack };
  })
  // eslint-disable-next-line no-empty-pattern
  .extend('tmp', { scope: 'file' }, async ({}, { onCleanup }) => {
    const tmp = await mkdtemp(join(tmpdir(), 'plyr-client-'));
    onCleanup(() => rm(tmp, { recursive: true, force: true }));
    return tmp;
  });

/** The bytes storage holds for a track, fetched the way an app would: `downloads.track`. */
async function storedBytes(client: PlyrClient, id: string): Promise<Uint8Array> {
  const { url } = await client.downloads.track.query({ id });
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

describe('token mode', () => {
  liveFileTest('signs in with the developer token alone', async ({ listener }) => {
    expect(listener.client.mode).toBe('token');
    await expect(listener.client.auth.me.query()).resolves.toEqual({ did: listener.did, handle: listener.handle });
  });

  liveFileTest('a revoked token is UNAUTHORIZED, told apart by isPlyrError without reading messages', async ({ app, listener }) => {
    const { token } = await listener.session.auth.developerTokens.create.mutate({ name: 'short-lived' });
    const client = createPlyrClient({ baseUrl: app.url, token });
    await expect(client.auth.me.query()).resolves.toMatchObject({ did: listener.did });
    const [created] = (await listener.session.auth.developerTokens.list.query()).tokens.filter((t) => t.name === 'short-lived');
    await listener.session.auth.developerTokens.revoke.mutate({ id: created!.id });

    const err = await client.auth.me.query().catch((e: unknown) => e);
    expect(isPlyrError(err, 'UNAUTHORIZED')).toBe(true);
    expect(isPlyrError(err, 'PAYMENT_REQUIRED')).toBe(false);
    expect(isPlyrError(err)).toBe(true);
    if (isPlyrError(err, 'UNAUTHORIZED')) expect(err.data.httpStatus).toBe(401);
  });
});

describe('typed errors from the live API', () => {
  liveFileTest('a gated download for a non-supporter is PAYMENT_REQUIRED; bad input is BAD_REQUEST with field errors', async ({ listener, tracks: { gatedTrack } }) => {
    const denied = await listener.client.downloads.track.query({ id: gatedTrack.id }).catch((e: unknown) => e);
    expect(isPlyrError(denied, 'PAYMENT_REQUIRED')).toBe(true);

    const bad = await listener.client.tracks.byId.query({ id: 'not-a-uuid' }).catch((e: unknown) => e);
    expect(isPlyrError(bad, 'BAD_REQUEST')).toBe(true);
    if (isPlyrError(bad, 'BAD_REQUEST')) expect(Object.keys(bad.data.zodError?.fieldErrors ?? {})).toContain('id');
  });

  liveFileTest('a plain Error, a network failure or a string is not a plyr error', async () => {
    const unreachable = createPlyrClient({ baseUrl: 'http://127.0.0.1:1', token: 'x', timeoutMs: 2_000 });
    const err = await unreachable.auth.me.query().catch((e: unknown) => e);
    expect(isPlyrError(err)).toBe(false);
    expect(isPlyrError(new Error('UNAUTHORIZED'), 'UNAUTHORIZED')).toBe(false);
    expect(isPlyrError('UNAUTHORIZED')).toBe(false);
  });
});

describe('batching', () => {
  liveFileTest('splits 45 concurrent calls into batches the server accepts (at most 20 each)', async ({ app, listener, tracks: { publicTrack } }) => {
    const batches: number[] = [];
    const client = createPlyrClient({
      baseUrl: app.url,
      token: listener.token,
      fetch: (url, init) => {
        // The batch size is the number of procedure paths in the URL (`/trpc/a,b,c?batch=1`).
        batches.push(new URL(url).pathname.split(',').length);
        return fetch(url, init);
      },
    });
    const results = await Promise.all(Array.from({ length: 45 }, () => client.tracks.byId.query({ id: publicTrack.id })));
    expect(results.every((t) => t.id === publicTrack.id)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(45);
    expect(Math.max(...batches)).toBe(20);
  });
});

describe('uploadTrack in Node', () => {
  liveFileTest('from a Blob: progress climbs to the file size, the track is created and storage holds exactly the bytes', async ({ listener }) => {
    const bytes = mp3Bytes(300 * 1024);
    const progress: UploadProgress[] = [];
    const track = await listener.client.uploadTrack(
      new Blob([bytes]),
      { title: 'From a blob', filename: 'blob.mp3' },
      { onProgress: (p) => progress.push(p) },
    );
    expect(track).toMatchObject({ title: 'From a blob', artist: { did: listener.did }, gated: false, supportGate: null });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((p, i) => p.total === bytes.length && (i === 0 || p.loaded > progress[i - 1]!.loaded))).toBe(true);
    expect(progress.at(-1)!.loaded).toBe(bytes.length);
    expect(sameBytes(await storedBytes(listener.client, track.id), bytes)).toBe(true);
  });

  liveFileTest('from a file stream (fs.createReadStream) with its size, gated at once', async ({ fan, tmp }) => {
    const bytes = mp3Bytes(200 * 1024);
    const path = join(tmp, 'stream.mp3');
    await writeFile(path, bytes);
    let last: UploadProgress | undefined;
    const track = await fan.client.uploadTrack(
      createReadStream(path, { highWaterMark: 16 * 1024 }),
      { title: 'From a stream', supportGate: { type: 'any' }, filename: 'stream.mp3', contentType: 'audio/mpeg', size: bytes.length },
      { onProgress: (p) => (last = p) },
    );
    expect(track).toMatchObject({ title: 'From a stream', supportGate: { type: 'any' }, gated: false });
    expect(last).toEqual({ loaded: bytes.length, total: bytes.length });
    expect(sameBytes(await storedBytes(fan.client, track.id), bytes)).toBe(true);
  });

  liveFileTest('a stream shorter than the announced size fails as an upload transfer error, and nothing is created', async ({ listener }) => {
    const before = (await listener.client.tracks.mine.query()).items.length;
    const short = new Blob([mp3Bytes(1000)]).stream();
    const err = await listener.client
      .uploadTrack(short, { title: 'Truncated', filename: 'short.mp3', contentType: 'audio/mpeg', size: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlyrTransferError);
    expect(err).toMatchObject({ kind: 'upload' });
    expect((await listener.client.tracks.mine.query()).items).toHaveLength(before);
  });

  liveFileTest('refuses a stream without size, filename or type before calling the API', async ({ listener }) => {
    const stream = new Blob([mp3Bytes(100)]).stream();
    // @ts-expect-error a stream source needs filename, contentType and size
    await expect(listener.client.uploadTrack(stream, { title: 'x' })).rejects.toThrow(/filename is required/);
    await expect(listener.client.uploadTrack(new Blob([mp3Bytes(100)]), { title: 'x', filename: 'x.bin' })).rejects.toThrow(
      /contentType is required/,
    );
  });
});

describe('gating helpers on real track outputs', () => {
  liveFileTest('preflightAudio: ok for public, support for a non-supporter, ok for a supporter, login when signed out, missing when unknown', async ({ artist, fan, listener, anonymous, tracks: { publicTrack, gatedTrack } }) => {
    expect(await listener.client.preflightAudio(publicTrack.fileId)).toBe('ok');
    expect(await anonymous.preflightAudio(publicTrack.fileId)).toBe('ok');
    expect(await listener.client.preflightAudio(gatedTrack.fileId)).toBe('support');
    expect(await fan.client.preflightAudio(gatedTrack.fileId)).toBe('ok');
    expect(await artist.client.preflightAudio(gatedTrack.fileId)).toBe('ok');
    expect(await anonymous.preflightAudio(gatedTrack.fileId)).toBe('login');
    expect(await listener.client.preflightAudio('0'.repeat(32))).toBe('missing');
  });

  liveFileTest('preflightAudio: unavailable while the supporter service fails (never reported as "support")', async ({ fans, fan, listener }) => {
    // An (artist, viewer) pair checked before has a cached answer; the fan's gated upload was never checked for the listener.
    const [fanGated] = (await fan.client.tracks.mine.query()).items.filter((t) => t.supportGate);
    fans.setMode('error500');
    try {
      expect(await listener.client.preflightAudio(fanGated!.fileId)).toBe('unavailable');
    } finally {
      fans.setMode('ok');
    }
    expect(await listener.client.preflightAudio(fanGated!.fileId)).toBe('support');
  });

  liveFileTest('canPlay, audioUrl and shouldAutoDownload follow the viewer-resolved `gated`', async ({ app, fan, listener, tracks: { publicTrack, gatedTrack } }) => {
    const asListener = await listener.client.tracks.byId.query({ id: gatedTrack.id });
    const asFan = await fan.client.tracks.byId.query({ id: gatedTrack.id });
    const open = await listener.client.tracks.byId.query({ id: publicTrack.id });
    const autoOn = { autoDownloadLiked: true };

    expect([asListener.gated, canPlay(asListener), audioUrl(asListener), shouldAutoDownload(asListener, autoOn)]).toEqual([true, false, null, false]);
    expect([asFan.gated, canPlay(asFan), shouldAutoDownload(asFan, autoOn)]).toEqual([false, true, true]);
    expect(audioUrl(asFan)).toBe(`${app.url}/audio/${gatedTrack.fileId}`);
    expect([canPlay(open), shouldAutoDownload(open, autoOn), shouldAutoDownload(open, { autoDownloadLiked: false })]).toEqual([true, true, false]);
    expect(audioUrl(open)).toBe(open.audioUrl);
    expect((await fetch(audioUrl(open)!)).status).toBe(200);
  });
});

describe('early access (publicAt) on a cached listing', () => {
  liveFileTest('a track listed as gated plays once its publicAt has passed: canPlay, audioUrl and preflightAudio agree with the API', async ({ app, artist, listener, tracks: { gatedTrack } }) => {
    const publicAt = new Date(Date.now() + 3_000).toISOString();
    const early = await artist.client.uploadTrack(new Blob([mp3Bytes(8 * 1024)]), {
      title: 'Soon for Everyone',
      filename: 'soon.mp3',
      supportGate: { type: 'any', publicAt },
    });
    expect(early.supportGate).toEqual({ type: 'any', publicAt });
    // What a listener's app cached before the instant.
    const cached = await listener.client.tracks.byId.query({ id: early.id });
    expect(cached).toMatchObject({ gated: true, supportGate: { type: 'any', publicAt } });
    const before = new Date(Date.parse(publicAt) - 1);
    const after = new Date(Date.parse(publicAt));
    expect([isPublicAt(cached, before), canPlay(cached, before), audioUrl(cached, before), shouldAutoDownload(cached, { autoDownloadLiked: true }, before)]).toEqual([false, false, null, false]);
    expect([isPublicAt(cached, after), canPlay(cached, after), shouldAutoDownload(cached, { autoDownloadLiked: true }, after)]).toEqual([true, true, true]);
    expect(audioUrl(cached, after)).toBe(`${app.url}/audio/${early.fileId}`);
    // A plain gate never opens by the clock, however late it is.
    const plain = await listener.client.tracks.byId.query({ id: gatedTrack.id });
    expect(canPlay(plain, new Date('2100-01-01T00:00:00Z'))).toBe(false);

    const asked: string[] = [];
    const recording = createPlyrClient({
      baseUrl: app.url,
      token: listener.token,
      fetch: (url: string, init?: RequestInit) => {
        asked.push(new URL(url).pathname);
        return fetch(url, init);
      },
    });
    expect(await recording.preflightAudio(cached, { now: before })).toBe('support');
    expect(asked).toEqual([`/audio/${early.fileId}`]);
    // The API turns it public at the instant by its own clock: the listener may play it then.
    await expect.poll(() => listener.client.preflightAudio(early.fileId), { timeout: 30_000, interval: 200 }).toBe('ok');
    asked.length = 0;
    expect(await recording.preflightAudio(cached)).toBe('ok');
    expect(asked).toEqual([]);
  });
});

describe('downloadLikedTracks', () => {
  liveFileTest('downloads what the viewer may play with byte progress, and reports the gated track as skipped', async ({ listener, tracks: { publicTrack, gatedTrack } }) => {
    await listener.client.tracks.like.mutate({ id: publicTrack.id });
    await listener.client.tracks.like.mutate({ id: gatedTrack.id });
    const results: Array<LikedTrackResult<Track>['status']> = [];
    const saved = new Map<string, Uint8Array>();
    const skipped: string[] = [];
    const loaded: number[] = [];
    const summary = await listener.client.downloadLikedTracks({
      async onTrack(result) {
        results.push(result.status);
        if (result.status === 'downloaded') saved.set(result.track.id, new Uint8Array(await result.response.arrayBuffer()));
        if (result.status === 'skipped') skipped.push(`${result.track.id}:${result.reason}`);
      },
      onProgress: (p) => {
        if (p.track.id === publicTrack.id) loaded.push(p.loaded);
        expect(p.count).toBe(2);
      },
    });
    expect(summary).toEqual({ downloaded: 1, skipped: 1, failed: 0 });
    expect(results.sort()).toEqual(['downloaded', 'skipped']);
    expect(sameBytes(saved.get(publicTrack.id)!, publicBytes)).toBe(true);
    expect(skipped).toEqual([`${gatedTrack.id}:gated`]);
    expect(loaded.at(-1)).toBe(publicBytes.length);
  });

  liveFileTest('a supporter downloads the gated track too; an unread body is released, not left hanging', async ({ fan, tracks: { publicTrack, gatedTrack } }) => {
    await fan.client.tracks.like.mutate({ id: gatedTrack.id });
    await fan.client.tracks.like.mutate({ id: publicTrack.id });
    const seen: string[] = [];
    const summary = await fan.client.downloadLikedTracks({
      onTrack: (result) => {
        seen.push(`${result.track.title}:${result.status}`);
      },
    });
    expect(summary).toEqual({ downloaded: 2, skipped: 0, failed: 0 });
    expect(seen.sort()).toEqual(['Backstage:downloaded', 'Open Air:downloaded']);
  });

  liveFileTest('resumes: a file alreadySaved says is there is never requested from storage nor passed to onTrack', async ({ app, fan, tracks: { publicTrack, gatedTrack } }) => {
    for (const id of [gatedTrack.id, publicTrack.id]) await fan.client.tracks.like.mutate({ id });
    const storageGets: string[] = [];
    const client = createPlyrClient({
      baseUrl: app.url,
      token: fan.token,
      fetch: (url, init) => {
        if (!url.startsWith(app.url)) storageGets.push(url);
        return fetch(url, init);
      },
    });
    const asked: string[] = [];
    const seen: string[] = [];
    const summary = await client.downloadLikedTracks({
      alreadySaved: ({ track, filename }) => {
        asked.push(filename);
        return track.id === publicTrack.id;
      },
      onTrack: async (result) => {
        seen.push(`${result.track.title}:${result.status}`);
        if (result.status === 'downloaded') await result.response.arrayBuffer();
      },
    });
    expect(summary).toEqual({ downloaded: 1, skipped: 1, failed: 0 });
    expect(seen).toEqual(['Backstage:downloaded']);
    expect(asked).toHaveLength(2);
    expect(storageGets).toHaveLength(1);
    expect(storageGets[0]).toContain(gatedTrack.fileId);
  });
});
