import type { Connection } from './connection.js';

/** The fields of a track output the gating helpers read; every track the API returns has them. */
export interface GatedTrack {
  /** Resolved by the API for the viewer who asked, when it answered: true means this viewer could not play it then. */
  gated: boolean;
  audioUrl: string;
  /** `publicAt` (early access): from that instant the track is public for everyone. */
  supportGate?: { publicAt?: string } | null;
}

/** What the early-access helpers read: the gate alone (a track from an older answer may lack it). */
type WithGate = Pick<GatedTrack, 'supportGate'>;

/**
 * Whether the track is public for everyone at `now`: no gate, or an early-access `publicAt` that has
 * passed. The API applies the same rule with its own clock, so this holds however old the listing is.
 */
export function isPublicAt(track: WithGate, now: Date = new Date()): boolean {
  const gate = track.supportGate;
  if (!gate) return true;
  if (gate.publicAt === undefined) return false;
  const at = Date.parse(gate.publicAt);
  return !Number.isNaN(at) && at <= now.getTime();
}

/**
 * Whether the viewer who fetched this track may play it at `now` (public, theirs, they support the
 * artist, or its early access is over): a listing that said gated before `publicAt` plays after it.
 */
export function canPlay(track: Pick<GatedTrack, 'gated'> & WithGate, now: Date = new Date()): boolean {
  return !track.gated || (track.supportGate != null && isPublicAt(track, now));
}

/** Whether to fetch a liked track in the background: only when the user asked for it, and never a track they cannot play. */
export function shouldAutoDownload(
  track: Pick<GatedTrack, 'gated'> & WithGate,
  prefs: { autoDownloadLiked: boolean },
  now: Date = new Date(),
): boolean {
  return prefs.autoDownloadLiked && canPlay(track, now);
}

/**
 * The URL to give a media element, or null when the viewer cannot play the track. A gated track's
 * URL is the API's `/audio/{fileId}`, which checks the session cookie; in token mode use
 * `downloads.track` instead, since a media element cannot send a bearer token.
 */
export function audioUrl(track: GatedTrack, now: Date = new Date()): string | null {
  return canPlay(track, now) ? track.audioUrl : null;
}

/** What `HEAD /audio/{fileId}` says about playing a track now. */
export type AudioAccess = 'ok' | 'login' | 'support' | 'unavailable' | 'missing';

/** A file to preflight: its id, or a track (then a passed `publicAt` answers without asking). */
export type PreflightTarget = string | ({ fileId: string } & WithGate);

/**
 * Asks the API whether the viewer may play this file: `login` (sign in), `support` (become a
 * supporter of the artist), `unavailable` (try again later), `missing` (no such file). Given a
 * track whose early access is over at `now`, answers `ok` at once: it is public for everyone.
 */
export async function preflightAudio(
  connection: Connection,
  target: PreflightTarget,
  signal?: AbortSignal,
  now: Date = new Date(),
): Promise<AudioAccess> {
  if (typeof target !== 'string' && target.supportGate != null && isPublicAt(target, now)) return 'ok';
  const fileId = typeof target === 'string' ? target : target.fileId;
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
