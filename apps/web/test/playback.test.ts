import type { Track } from '@plyr/client';
import type { Page, Request } from 'playwright-core';
import { describe, expect } from 'vitest';
import { wavTone } from '@plyr/testing/wav';
import { openContext, screenshot } from './support/browser.js';
import { webTest } from './support/stack.js';
import { serveForeignPage } from './support/web-page.js';

const playbackTest = webTest
  // A public and a gated track by the artist, uploaded once for the file.
  .extend('tracks', { scope: 'file' }, async ({ accounts, sdkFor }) => {
    const artist = await sdkFor(accounts.artist);
    const audio = wavTone(2);
    const publicTrack = await artist.uploadTrack(new Blob([audio]), { title: 'Open Air', supportGate: null, filename: 'open-air.wav' });
    const gatedTrack = await artist.uploadTrack(new Blob([audio]), { title: 'Backstage', supportGate: { type: 'any' }, filename: 'backstage.wav' });
    return { publicTrack, gatedTrack };
  })
  // eslint-disable-next-line no-empty-pattern
  .extend('foreign', { scope: 'file' }, async ({}, { onCleanup }) => {
    const foreign = await serveForeignPage();
    onCleanup(() => foreign.close());
    return foreign;
  });

const row = (page: Page, track: Track) => page.locator(`#tracks li[data-track-id="${track.id}"]`);
const isMedia = (r: Request) => r.resourceType() === 'media';

/** Resolves once the page's <audio> can play (readyState ≥ HAVE_FUTURE_DATA), or rejects on a media error. */
function audioCanPlay(page: Page, selector: string): Promise<void> {
  return page.evaluate(
    (sel) =>
      new Promise<void>((resolve, reject) => {
        const audio = document.querySelector<HTMLAudioElement>(sel)!;
        if (audio.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) return resolve();
        audio.addEventListener('canplay', () => resolve(), { once: true });
        audio.addEventListener('error', () => reject(new Error(`media error ${audio.error?.code}`)), { once: true });
      }),
    selector,
  );
}

describe('gated playback in Chromium', () => {
  playbackTest('shows a non-supporter the lock and the supporter message, and loads no audio', async ({ browser, accounts, signInPage, storageOrigin, tracks: { publicTrack, gatedTrack } }) => {
    const { page, context, requests } = await openContext(browser);
    await signInPage(page, accounts.listener);

    expect(await row(page, gatedTrack).getAttribute('data-gated')).toBe('true');
    expect(await row(page, gatedTrack).locator('.lock').getAttribute('aria-label')).toBe('Locked: supporters only');
    expect(await row(page, publicTrack).getAttribute('data-gated')).toBe('false');

    const preflight = page.waitForResponse((r) => r.url().endsWith(`/audio/${gatedTrack.fileId}`));
    await row(page, gatedTrack).getByRole('button', { name: /^Play/ }).click();
    expect((await preflight).status()).toBe(402);
    await page.locator('#notice', { hasText: 'Become a supporter' }).waitFor();
    await screenshot(page, 'gated-non-supporter');

    expect(requests.filter(isMedia)).toEqual([]);
    expect(requests.filter((r) => r.url().startsWith(storageOrigin))).toEqual([]);
    expect(await page.locator('#player').evaluate((a: HTMLAudioElement) => a.currentSrc)).toBe('');
    await context.close();
  });

  playbackTest('plays the gated track for a supporter: <audio> follows the 307 to a presigned URL and reaches canplay', async ({ app, browser, accounts, signInPage, tracks: { gatedTrack } }) => {
    const { page, context, requests } = await openContext(browser);
    await signInPage(page, accounts.supporter);
    expect(await row(page, gatedTrack).getAttribute('data-gated')).toBe('false');

    await row(page, gatedTrack).getByRole('button', { name: /^Play/ }).click();
    await page.locator('#notice', { hasText: 'Playing “Backstage”' }).waitFor();
    await audioCanPlay(page, '#player');
    await screenshot(page, 'gated-supporter-playing');

    // The media request went to /audio on the API, was redirected, and the storage served signed bytes.
    const media = requests.filter(isMedia);
    const fromApi = media.find((r) => r.url() === `${app.url}/audio/${gatedTrack.fileId}`);
    expect((await fromApi?.response())?.status()).toBe(307);
    const signed = media.find((r) => r.redirectedFrom() === fromApi);
    expect(signed?.url()).toContain('X-Amz-Signature=');
    expect([200, 206]).toContain((await signed?.response())?.status());
    await context.close();
  });
});

describe('early access in Chromium', () => {
  playbackTest('shows a non-supporter "public on …" and the lock, then opens the track at publicAt without a reload', async ({ browser, accounts, signInPage, sdkFor }) => {
    const artist = await sdkFor(accounts.artist);
    const publicAt = new Date(Date.now() + 8_000).toISOString();
    const early = await artist.uploadTrack(new Blob([wavTone(2)]), { title: 'Soon Open', supportGate: { type: 'any', publicAt }, filename: 'soon-open.wav' });
    const { page, context, requests } = await openContext(browser);
    await signInPage(page, accounts.listener);
    const lists = () => requests.filter((r) => r.url().includes('tracks.list')).length;
    const listsBefore = lists();
    expect(listsBefore).toBeGreaterThan(0);

    const line = row(page, early);
    expect(Date.now(), 'the page rendered before publicAt').toBeLessThan(Date.parse(publicAt));
    expect(await line.getAttribute('data-gated')).toBe('true');
    expect(await line.locator('.lock').getAttribute('aria-label')).toBe('Locked: supporters only');
    expect(await line.locator('.public-on time').getAttribute('datetime')).toBe(publicAt);
    expect(await line.locator('.public-on').textContent()).toMatch(/^public on \S/);
    await screenshot(page, 'early-access-before');

    // The page's own timer re-renders the list at the instant: no reload, no new list request.
    await page.locator(`#tracks li[data-track-id="${early.id}"][data-gated="false"]`).waitFor({ timeout: 60_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publicAt));
    expect(await line.locator('.public-on').count()).toBe(0);
    expect(lists()).toBe(listsBefore);
    await line.getByRole('button', { name: /^Play/ }).click();
    await page.locator('#notice', { hasText: 'Playing “Soon Open”' }).waitFor();
    await audioCanPlay(page, '#player');
    await context.close();
  });
});

describe('public audio on another website', () => {
  playbackTest('plays in an <audio> element on another origin, whose credentialed fetch to the API is blocked by CORS', async ({ app, browser, accounts, signInPage, storageOrigin, tracks: { publicTrack }, foreign }) => {
    const { page, context, requests } = await openContext(browser);
    // Signed in on the plyr page first, so the browser holds a session cookie for the API.
    await signInPage(page, accounts.listener);
    const plyrPageMe = await page.evaluate(async (api) => {
      const res = await fetch(`${api}/trpc/auth.me`, { credentials: 'include' });
      return res.status;
    }, app.url);
    expect(plyrPageMe).toBe(200);

    const elsewhere = await context.newPage();
    await elsewhere.goto(foreign.url);
    await elsewhere.evaluate((src) => {
      const audio = Object.assign(document.createElement('audio'), { id: 'embedded', controls: true, src });
      document.body.append(audio);
    }, `${app.url}/audio/${publicTrack.fileId}`);
    await audioCanPlay(elsewhere, '#embedded');
    await screenshot(elsewhere, 'public-audio-other-origin');
    const fromApi = requests.find((r) => isMedia(r) && r.url() === `${app.url}/audio/${publicTrack.fileId}`);
    expect((await fromApi?.response())?.status()).toBe(307);
    const fromStorage = requests.find((r) => r.redirectedFrom() === fromApi);
    expect(fromStorage?.url().startsWith(storageOrigin)).toBe(true);

    const meFromElsewhere = await elsewhere.evaluate(async (api) => {
      try {
        const res = await fetch(`${api}/trpc/auth.me`, { credentials: 'include' });
        return `answered ${res.status}`;
      } catch (err) {
        return `blocked: ${(err as Error).name}`;
      }
    }, app.url);
    expect(meFromElsewhere).toBe('blocked: TypeError');
    await context.close();
  });
});
