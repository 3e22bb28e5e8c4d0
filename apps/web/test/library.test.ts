import { readFile } from 'node:fs/promises';
import type { Track } from '@plyr/client';
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { wavTone } from '@plyr/testing/wav';
import { openContext, screenshot } from './support/browser.js';
import { webTest } from './support/stack.js';

// A public and a gated track by the artist, uploaded once for the file.
const libraryTest = webTest.extend('tracks', { scope: 'file' }, async ({ accounts, sdkFor }) => {
  const artist = await sdkFor(accounts.artist);
  const publicTrack = await artist.uploadTrack(new Blob([wavTone(1)]), { title: 'Morning', supportGate: null, filename: 'morning.wav' });
  const gatedTrack = await artist.uploadTrack(new Blob([wavTone(1)]), { title: 'Night', supportGate: { type: 'any' }, filename: 'night.wav' });
  return { publicTrack, gatedTrack };
});

const rowTitled = (page: Page, title: string) =>
  page.locator('#tracks li').filter({ has: page.locator('.title', { hasText: title }) });
const rowOf = (page: Page, track: Track) => page.locator(`#tracks li[data-track-id="${track.id}"]`);

/** Turns the auto-download toggle on and waits until the API has stored it. */
async function enableAutoDownload(page: Page): Promise<void> {
  const saved = page.waitForResponse((r) => r.url().includes('downloads.setPreferences') && r.ok());
  await page.getByLabel('Download tracks when I like them').check();
  await saved;
}

describe('uploading and gating from the page', () => {
  libraryTest('shows upload progress, lists the track, and a gate toggle puts the lock in front of a non-supporter', async ({ browser, accounts, signInPage }) => {
    const artist = await openContext(browser);
    await signInPage(artist.page, accounts.artist);

    // Throttled upload so that the bar is seen between empty and full.
    const cdp = await artist.context.newCDPSession(artist.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await artist.page.locator('#upload-progress').evaluate((bar: HTMLProgressElement) => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = []);
      new MutationObserver(() => seen.push(bar.position)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    });

    const form = artist.page.locator('#upload-form');
    await form.getByLabel('Title').fill('Sunrise Demo');
    await form.getByLabel('Audio file').setInputFiles({ name: 'sunrise.wav', mimeType: 'audio/wav', buffer: wavTone(30) });
    await form.getByRole('button', { name: 'Upload' }).click();
    await artist.page.waitForFunction(() => {
      const bar = document.querySelector<HTMLProgressElement>('#upload-progress')!;
      return bar.position > 0.2 && bar.position < 0.9;
    });
    await screenshot(artist.page, 'upload-in-progress');

    await rowTitled(artist.page, 'Sunrise Demo').waitFor();
    await artist.page.locator('#notice', { hasText: 'Uploaded “Sunrise Demo”' }).waitFor();
    const seen = await artist.page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.some((p) => p > 0 && p < 1)).toBe(true);
    expect(seen.at(-1)).toBe(1);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await screenshot(artist.page, 'upload-done');

    // A listener who supports no one sees it unlocked, then locked once the artist gates it.
    const listener = await openContext(browser);
    await signInPage(listener.page, accounts.listener);
    expect(await rowTitled(listener.page, 'Sunrise Demo').getAttribute('data-gated')).toBe('false');

    await rowTitled(artist.page, 'Sunrise Demo').getByLabel('Supporters only').check();
    await artist.page.locator('#notice', { hasText: '“Sunrise Demo” is now for supporters only' }).waitFor();
    // The artist can still play their own gated track: no lock for them.
    expect(await rowTitled(artist.page, 'Sunrise Demo').getAttribute('data-gated')).toBe('false');

    await listener.page.reload();
    await listener.page.locator('body[data-ready="true"]').waitFor();
    expect(await rowTitled(listener.page, 'Sunrise Demo').getAttribute('data-gated')).toBe('true');
    await screenshot(listener.page, 'gate-on-listener-view');
    await artist.context.close();
    await listener.context.close();
  });
});

describe('auto-download of liked tracks', () => {
  libraryTest('never asks for the audio of a gated track the viewer cannot play', async ({ browser, accounts, signInPage, storageOrigin, tracks: { publicTrack, gatedTrack } }) => {
    const { page, context, requests } = await openContext(browser);
    await signInPage(page, accounts.listener);
    await enableAutoDownload(page);
    let downloads = 0;
    page.on('download', () => (downloads += 1));

    await rowOf(page, gatedTrack).getByRole('button', { name: 'Like', exact: true }).click();
    await page.locator('#notice', { hasText: 'Liked “Night”. Not downloaded: it is for supporters only.' }).waitFor();
    expect(await rowOf(page, gatedTrack).getByRole('button', { name: 'Unlike', exact: true }).count()).toBe(1);

    const forItsAudio = requests.filter(
      (r) =>
        r.url().includes(gatedTrack.fileId) ||
        r.url().includes('downloads.track') ||
        r.url().startsWith(storageOrigin),
    );
    expect(forItsAudio.map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
    expect(downloads).toBe(0);

    // "Download liked tracks" saves what may be saved and lists the gated one as skipped.
    await rowOf(page, publicTrack).getByRole('button', { name: 'Like', exact: true }).click();
    await page.locator('#notice', { hasText: 'Liked “Morning”. Downloading it.' }).waitFor();
    await page.getByRole('button', { name: 'Download liked tracks' }).click();
    await page.locator('#download-report .skipped', { hasText: 'Night' }).waitFor();
    await page.locator('#download-report .downloaded', { hasText: 'Morning' }).waitFor();
    await screenshot(page, 'download-liked-report');
    await context.close();
  });

  libraryTest('downloads a liked gated track for a supporter', async ({ browser, accounts, signInPage, tracks: { gatedTrack } }) => {
    const { page, context } = await openContext(browser);
    await signInPage(page, accounts.supporter);
    await enableAutoDownload(page);

    const download = page.waitForEvent('download');
    await rowOf(page, gatedTrack).getByRole('button', { name: 'Like', exact: true }).click();
    const saved = await download;
    await page.locator('#notice', { hasText: 'Liked “Night”. Downloading it.' }).waitFor();
    expect(saved.suggestedFilename()).toMatch(/Night\.wav$/);
    const bytes = await readFile(await saved.path());
    expect(bytes.equals(wavTone(1))).toBe(true);
    await context.close();
  });
});
