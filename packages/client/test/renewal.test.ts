import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlyrClient } from '../src/index.js';
import { mp3Bytes, sameBytes, startLiveApi, type LiveApi } from './support/live-api.js';

/**
 * Presigned download URLs live PRESIGNED_URL_TTL_SECONDS (5 s here, and the storage checks expiry).
 * `downloads.likedTracks` hands them all out at once, so an app that takes its time over the first
 * tracks would find the later URLs expired; the SDK renews a URL that is about to expire.
 */

let live: LiveApi;
const first = mp3Bytes(8 * 1024);
const second = mp3Bytes(12 * 1024);

beforeAll(async () => {
  live = await startLiveApi({ PRESIGNED_URL_TTL_SECONDS: '5' });
  for (const [title, bytes] of [['First', first], ['Second', second]] as const) {
    const track = await live.artist.client.uploadTrack(new Blob([bytes]), { title, filename: `${title}.mp3` });
    await live.listener.client.tracks.like.mutate({ id: track.id });
  }
});

afterAll(async () => {
  await live?.close();
});

describe('downloadLikedTracks with short-lived URLs', () => {
  it('a slow reader still gets every track: URLs near expiry are renewed through downloads.track', { timeout: 60_000 }, async () => {
    const calls: string[] = [];
    const client = createPlyrClient({
      baseUrl: live.app.url,
      token: live.listener.token,
      fetch: (url, init) => {
        if (url.startsWith(`${live.app.url}/trpc/`)) calls.push(new URL(url).pathname.slice('/trpc/'.length));
        return fetch(url, init);
      },
    });
    const saved = new Map<string, Uint8Array>();
    const summary = await client.downloadLikedTracks({
      async onTrack(result) {
        if (result.status !== 'downloaded') throw new Error(`${result.track.title}: ${result.status}`);
        saved.set(result.track.title, new Uint8Array(await result.response.arrayBuffer()));
        // Longer than the URLs live: the next track's URL from likedTracks has expired by now.
        await new Promise((resolve) => setTimeout(resolve, 6_000));
      },
    });
    expect(summary).toEqual({ downloaded: 2, skipped: 0, failed: 0 });
    expect(sameBytes(saved.get('First')!, first) && sameBytes(saved.get('Second')!, second)).toBe(true);
    expect(calls).toEqual(['downloads.likedTracks', 'downloads.track', 'downloads.track']);
  });
});
