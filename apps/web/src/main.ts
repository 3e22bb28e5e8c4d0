import type { Track } from '@plyr/client';
import { plyr } from './api.js';
import { byId, notify } from './dom.js';
import {
  autoDownload,
  bindAutoDownloadToggle,
  downloadLiked,
  type AutoDownloadOutcome,
  type DownloadPreferences,
} from './downloads.js';
import { play } from './player.js';
import { completeSignIn, currentViewer, signOut, startSignIn, type Viewer } from './session.js';
import { renderTracks, type TrackListState } from './tracks.js';
import { bindUploadForm } from './upload.js';

const LIKE_OUTCOMES: Record<AutoDownloadOutcome, string> = {
  off: '',
  'not-playable': ' Not downloaded: it is for supporters only.',
  downloading: ' Downloading it.',
};

const state: TrackListState = { tracks: [], viewer: null, liked: new Set() };
let prefs: DownloadPreferences = { autoDownloadLiked: false };

async function refreshTracks(): Promise<void> {
  const [page, liked] = await Promise.all([
    plyr.tracks.list.query({ limit: 50 }),
    state.viewer ? plyr.tracks.liked.query() : Promise.resolve({ items: [] as Track[] }),
  ]);
  state.tracks = page.items;
  state.liked = new Set(liked.items.map((t) => t.id));
  renderTracks(state, actions);
}

const actions = {
  play: (track: Track) => void play(track).catch(report),
  setLiked: (track: Track, liked: boolean) =>
    void (async () => {
      if (!liked) {
        await plyr.tracks.unlike.mutate({ id: track.id });
        await refreshTracks();
        notify(`Removed “${track.title}” from your likes.`);
        return;
      }
      await plyr.tracks.like.mutate({ id: track.id });
      await refreshTracks();
      const outcome = await autoDownload(track, prefs);
      notify(`Liked “${track.title}”.${LIKE_OUTCOMES[outcome]}`);
    })().catch(report),
  setGated: (track: Track, gated: boolean) =>
    void (async () => {
      await plyr.tracks.update.mutate({ id: track.id, supportGate: gated ? { type: 'any' } : null });
      notify(gated ? `“${track.title}” is now for supporters only.` : `“${track.title}” is now public.`);
      await refreshTracks();
    })().catch(report),
};

function report(err: unknown): void {
  notify(`Something went wrong: ${err instanceof Error ? err.message : String(err)}`);
}

function showViewer(viewer: Viewer | null): void {
  byId('sign-in').hidden = viewer !== null;
  byId('signed-in').hidden = viewer === null;
  byId('library').hidden = viewer === null;
  byId('upload').hidden = viewer === null;
  byId('viewer-handle').textContent = viewer ? `@${viewer.handle}` : '';
}

async function start(): Promise<void> {
  byId<HTMLFormElement>('sign-in').onsubmit = (event) => {
    event.preventDefault();
    startSignIn(String(new FormData(event.target as HTMLFormElement).get('handle')));
  };
  byId('sign-out').onclick = () =>
    void signOut()
      .then(() => location.reload())
      .catch(report);
  byId('download-liked').onclick = () => void downloadLiked().catch(report);
  bindUploadForm(refreshTracks);

  await completeSignIn();
  state.viewer = await currentViewer();
  showViewer(state.viewer);
  if (state.viewer) prefs = await bindAutoDownloadToggle();
  await refreshTracks();
}

// `data-ready` tells an observer (and the browser tests) that the first load is over, failed or not.
start()
  .catch(report)
  .finally(() => (document.body.dataset.ready = 'true'));
