import { describe, expect } from 'vitest';
import { sdkTest } from './support/browser.js';
import { mp3Bytes, sameBytes } from './support/live-api.js';

declare global {
  interface Window {
    plyr: typeof import('../src/index.js');
  }
}

/**
 * The built SDK in Chromium against the live API, from another origin of the same site (as plyr.fm
 * calls api.plyr.fm): the session cookie in browser mode, the bearer token alone in token mode, and
 * uploads through XMLHttpRequest (the browser path) with progress.
 */

const browserTest = sdkTest
  .extend('gatedTrack', { scope: 'file' }, async ({ artist }) =>
    artist.client.uploadTrack(new Blob([mp3Bytes(8 * 1024)]), {
      title: 'Backstage',
      filename: 'backstage.mp3',
      supportGate: { type: 'any' },
    }),
  )
  // The browser profile is signed in as the fan (a supporter), the way the API's callback leaves it.
  .extend('fanProfile', { scope: 'file', auto: true }, async ({ sdk, fan }) => {
    await sdk.page.context().addCookies([
      { name: 'session_id', value: fan.sessionCookie, domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
  });

describe('in Chromium', () => {
  browserTest('browser mode is signed in by the session cookie alone', async ({ app, sdk, fan, gatedTrack }) => {
    const result = await sdk.page.evaluate(
      async ({ baseUrl, fileId }) => {
        const client = window.plyr.createPlyrClient({ baseUrl });
        return { me: await client.auth.me.query(), audio: await client.preflightAudio(fileId) };
      },
      { baseUrl: app.url, fileId: gatedTrack.fileId },
    );
    expect(result).toEqual({ me: { did: fan.did, handle: fan.handle }, audio: 'ok' });
  });

  browserTest('token mode is the token’s user even though the browser holds another user’s cookie (the API would prefer the cookie)', async ({ app, sdk, listener, gatedTrack }) => {
    const result = await sdk.page.evaluate(
      async ({ baseUrl, token, fileId }) => {
        const client = window.plyr.createPlyrClient({ baseUrl, token });
        return { me: await client.auth.me.query(), audio: await client.preflightAudio(fileId) };
      },
      { baseUrl: app.url, token: listener.token, fileId: gatedTrack.fileId },
    );
    expect(result).toEqual({ me: { did: listener.did, handle: listener.handle }, audio: 'support' });
  });

  browserTest('uploadTrack sends a File straight to storage with XMLHttpRequest progress, then creates the track', async ({ app, sdk, listener }) => {
    const size = 1536 * 1024;
    const puts: string[] = [];
    const onRequest = (request: import('playwright-core').Request) => {
      if (request.method() === 'PUT') puts.push(`${request.resourceType()} ${new URL(request.url()).pathname.split('/')[1]}`);
    };
    sdk.page.on('request', onRequest);
    const result = await sdk.page.evaluate(
      async ({ baseUrl, token, size }) => {
        const bytes = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
        bytes.set([0xff, 0xfb, 0x90, 0x64], 0);
        const client = window.plyr.createPlyrClient({ baseUrl, token });
        const file = new File([bytes], 'in-the-browser.mp3', { type: 'audio/mpeg' });
        const progress: Array<{ loaded: number; total: number }> = [];
        const track = await client.uploadTrack(file, { title: 'In the browser' }, { onProgress: (p) => progress.push(p) });
        return { track, progress };
      },
      { baseUrl: app.url, token: listener.token, size },
    );
    sdk.page.off('request', onRequest);
    expect(result.track).toMatchObject({ title: 'In the browser', artist: { did: listener.did }, gated: false });
    expect(puts).toEqual(['xhr plyr-audio-private']);
    expect(result.progress.length).toBeGreaterThan(0);
    expect(result.progress.at(-1)).toEqual({ loaded: size, total: size });
    const expected = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
    expected.set([0xff, 0xfb, 0x90, 0x64], 0);
    const { url } = await listener.client.downloads.track.query({ id: result.track.id });
    expect(sameBytes(new Uint8Array(await (await fetch(url)).arrayBuffer()), expected)).toBe(true);
  });

  browserTest('downloadLikedTracks in the page: the supporter gets the gated track’s bytes', async ({ app, sdk, fan, gatedTrack }) => {
    await fan.client.tracks.like.mutate({ id: gatedTrack.id });
    const result = await sdk.page.evaluate(async (baseUrl) => {
      const client = window.plyr.createPlyrClient({ baseUrl });
      const sizes: Record<string, number> = {};
      const summary = await client.downloadLikedTracks({
        onTrack: async (r) => {
          if (r.status === 'downloaded') sizes[r.track.title] = (await r.response.blob()).size;
        },
      });
      return { summary, sizes };
    }, app.url);
    expect(result).toEqual({ summary: { downloaded: 1, skipped: 0, failed: 0 }, sizes: { Backstage: 8 * 1024 } });
  });
});
