import { audioUrl, type Track } from '@plyr/client';
import { plyr } from './api.js';
import { byId, notify } from './dom.js';

/**
 * Asks `/audio` first (HEAD) and only then points the <audio> element at it, so a track this viewer
 * cannot play never starts a media request: they get a message instead.
 */
export async function play(track: Track): Promise<void> {
  const player = byId<HTMLAudioElement>('player');
  // Given the track, a passed early-access instant answers at once: the track is public by then.
  const verdict = await plyr.preflightAudio(track);
  switch (verdict) {
    case 'ok':
      // The track as listed may predate a supporter check that now passes: /audio decides, not `gated`.
      player.src = audioUrl(track) ?? `${plyr.baseUrl}/audio/${track.fileId}`;
      notify(`Playing “${track.title}” by @${track.artist.handle}.`);
      await player.play().catch(() => notify(`“${track.title}” is ready: press play on the player.`));
      return;
    case 'support':
      notify(`“${track.title}” is for supporters of @${track.artist.handle}. Become a supporter on atprotofans to play it.`);
      return;
    case 'login':
      notify('Sign in to play this track.');
      return;
    case 'unavailable':
      notify('Playback is unavailable right now; please try again in a moment.');
      return;
    case 'missing':
      notify('This track is no longer available.');
      return;
  }
}
