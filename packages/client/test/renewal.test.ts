import { describe, expect } from 'vitest';
import { createPlyrClient } from '../src/index.js';
import { mp3Bytes, sameBytes, withLiveApi } from './support/live-api.js';

/**
 * Presigned download URLs live PRESIGNED_URL_TTL_SECONDS (60 s here, and the storage checks expiry).
 * `downloads.likedTracks` hands them all out at once, so an app that takes its time over the first
 * tracks would find the later URLs expired; the SDK renews a URL within 10 s of expiry. The test
 * moves the SDK's clock instead of waiting: the reader spends 55 s on the first track.
 */
const TTL_SECONDS = 60;
const READING_FIRST_TRACK_MS = 55_000;

const first = mp3Bytes(8 * 1024);
const second = mp3Bytes(12 * 1024);

// The listener has liked both tracks before the test reads them.
const renewalTest = withLiveApi({ PRESIGNED_URL_TTL_SECONDS: String(TTL_SECONDS) }).extend(
  'liked',
  { scope: 'file', auto: true },
  async ({ artist, listener }) => {
    for (const [title, bytes] of [['First', first], ['Second', second]] as const) {
      const track = await artist.client.uploadTrack(new Blob([bytes]), { title, filename: `${title}.mp3` });
      await listener.client.tracks.like.mutate({ id: track.id });
    }
  },
);

describe('downloadLikedTracks with short-lived URLs', () => {
  renewalTest('a slow reader still gets every track: a fresh URL is used as given, one near expiry is renewed through downloads.track', async ({ app, listener }) => {
    const calls: string[] = [];
    let clock = Date.now();
    const client = createPlyrClient({
      baseUrl: app.url,
      token: listener.token,
      fetch: (url, init) => {
        if (url.startsWith(`${app.url}/trpc/`)) {
          const { pathname, searchParams } = new URL(url);
          calls.push(`${pathname.slice('/trpc/'.length)}${searchParams.has('input') ? ` ${searchParams.get('input')}` : ''}`);
        }
        return fetch(url, init);
      },
    });
    const saved = new Map<string, Uint8Array>();
    const order: string[] = [];
    const summary = await client.downloadLikedTracks({
      now: () => clock,
      async onTrack(result) {
        if (result.status !== 'downloaded') throw new Error(`${result.track.title}: ${result.status}`);
        order.push(result.track.id);
        saved.set(result.track.title, new Uint8Array(await result.response.arrayBuffer()));
        clock += READING_FIRST_TRACK_MS;
      },
    });
    expect(summary).toEqual({ downloaded: 2, skipped: 0, failed: 0 });
    expect(sameBytes(saved.get('First')!, first) && sameBytes(saved.get('Second')!, second)).toBe(true);
    const renewed = calls.filter((c) => c.startsWith('downloads.track '));
    expect(calls[0]).toMatch(/^downloads\.likedTracks\b/);
    // Only the URL the slow reader let come near expiry, the one read second, was asked for again.
    expect(order).toHaveLength(2);
    expect(renewed).toHaveLength(1);
    expect(renewed[0]).toContain(order[1]);
    expect(renewed[0]).not.toContain(order[0]);
  });
});
