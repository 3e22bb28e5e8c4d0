import type { Connection } from './connection.js';

/** The fields of a track output the gating helpers read; every track the API returns has them. */
export interface GatedTrack {
  /** Resolved by the API for the viewer who asked: true means this viewer cannot play it now. */
  gated: boolean;
  audioUrl: string;
}

/** Whether the viewer who fetched this track may play it now (public, theirs, or they support the artist). */
export function canPlay(track: Pick<GatedTrack, 'gated'>): boolean {
  return !track.gated;
}

/** Whether to fetch a liked track in the background: only when the user asked for it, and never a gated track. */
export function shouldAutoDownload(track: Pick<GatedTrack, 'gated'>, prefs: { autoDownloadLiked: boolean }): boolean {
  return prefs.autoDownloadLiked && !track.gated;
}

/**
 * The URL to give a media element, or null when the viewer cannot play the track. A gated track's
 * URL is the API's `/audio/{fileId}`, which checks the session cookie; in token mode use
 * `downloads.track` instead, since a media element cannot send a bearer token.
 */
export function audioUrl(track: GatedTrack): string | null {
  return track.gated ? null : track.audioUrl;
}

/** What `HEAD /audio/{fileId}` says about playing a track now. */
export type AudioAccess = 'ok' | 'login' | 'support' | 'unavailable' | 'missing';

/**
 * Asks the API whether the viewer may play this file: `login` (sign in), `support` (become a
 * supporter of the artist), `unavailable` (try again later), `missing` (no such file).
 */
export async function preflightAudio(connection: Connection, fileId: string, signal?: AbortSignal): Promise<AudioAccess> {
  let response: Response;
  try {
    // A public file answers with a redirect to the CDN: that already means "ok", so it is not followed.
    response = await connection.api(`/audio/${encodeURIComponent(fileId)}`, { method: 'HEAD', redirect: 'manual', signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    return 'unavailable';
  }
  return accessFromStatus(response);
}

function accessFromStatus(response: Response): AudioAccess {
  // Browsers hide a manual redirect behind an opaque response with status 0.
  if (response.type === 'opaqueredirect' || (response.status >= 200 && response.status < 400)) return 'ok';
  switch (response.status) {
    case 401:
      return 'login';
    case 402:
      return 'support';
    case 404:
      return 'missing';
    default:
      return 'unavailable';
  }
}
