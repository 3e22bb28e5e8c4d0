import { shouldAutoDownload, type SkipReason, type Track } from '@plyr/client';
import { plyr } from './api.js';
import { byId, el, notify } from './dom.js';

export interface DownloadPreferences {
  autoDownloadLiked: boolean;
}

/** Hands a presigned URL to the browser's download manager (the storage answers `attachment`). */
function saveUrl(url: string, filename: string): void {
  el('a', { href: url, download: filename }).click();
}

/** The toggle mirrors the stored preference, so every device of the user sees the same setting. */
export async function bindAutoDownloadToggle(): Promise<DownloadPreferences> {
  const toggle = byId<HTMLInputElement>('auto-download');
  const prefs = await plyr.downloads.preferences.query();
  toggle.checked = prefs.autoDownloadLiked;
  toggle.onchange = () =>
    void plyr.downloads.setPreferences
      .mutate({ autoDownloadLiked: toggle.checked })
      .then((saved) => (prefs.autoDownloadLiked = saved.autoDownloadLiked))
      .catch(() => {
        // Not saved: show the setting that is really in force.
        toggle.checked = prefs.autoDownloadLiked;
        notify('Could not save the auto-download setting; please try again.');
      });
  return prefs;
}

/** What happened to a liked track under the auto-download setting. */
export type AutoDownloadOutcome = 'off' | 'not-playable' | 'downloading';

/** After a like: downloads the track only if the viewer may play it (never asks for gated audio). */
export async function autoDownload(track: Track, prefs: DownloadPreferences): Promise<AutoDownloadOutcome> {
  if (!prefs.autoDownloadLiked) return 'off';
  if (!shouldAutoDownload(track, prefs)) return 'not-playable';
  const { url, filename } = await plyr.downloads.track.query({ id: track.id });
  saveUrl(url, filename);
  return 'downloading';
}

const SKIP_REASONS: Record<SkipReason, string> = {
  gated: 'supporters only',
  unavailable: 'supporter check unavailable, try again later',
};

/** Saves bytes already in the page under `filename`. */
function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  el('a', { href, download: filename }).click();
  // The download has started from the object URL by then; release it afterwards.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** "Download liked tracks": saves what may be saved and lists what was skipped and why. */
export async function downloadLiked(): Promise<void> {
  const report = byId<HTMLUListElement>('download-report');
  report.replaceChildren();
  const line = (className: string, text: string) => report.append(el('li', { className }, text));
  const summary = await plyr.downloadLikedTracks({
    async onTrack(result) {
      const title = result.track.title;
      if (result.status === 'downloaded') {
        saveBlob(await result.response.blob(), result.filename);
        line('downloaded', `Downloaded “${title}”`);
      } else if (result.status === 'skipped') {
        line('skipped', `Skipped “${title}” (${SKIP_REASONS[result.reason]})`);
      } else {
        line('failed', `Could not download “${title}”: ${result.error.message}`);
      }
    },
  });
  const { downloaded, skipped, failed } = summary;
  notify(
    downloaded + skipped + failed === 0
      ? 'No liked tracks yet.'
      : `Downloaded ${downloaded}, skipped ${skipped}${failed ? `, failed ${failed}` : ''}.`,
  );
}
