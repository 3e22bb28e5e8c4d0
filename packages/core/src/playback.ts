import { decideAccess, type AccessDecision } from './access.js';
import { gateAt } from './gate.js';
import type { Storage } from './storage/index.js';
import type { SupporterService } from './supporters/index.js';
import { servedFromCdn } from './tracks/placement.js';
import type { HotReads } from './cache/hot-reads.js';

/** A fileId is 32 lowercase hex characters; anything else is refused before any query. */
const FILE_ID = /^[a-f0-9]{32}$/;
/** Public redirects point at immutable CDN objects; short, so an un-gated → gated change is seen soon. */
const PUBLIC_CACHE = 'public, max-age=60';
/** Presigned URLs and every answer about gated audio are for this viewer only. */
const PRIVATE_CACHE = 'private, no-store';

/** `audio_missing`: the track exists but its audio is in neither bucket (the reconciler marked it). */
export type PlaybackRefusal = 'not_found' | 'audio_missing' | Exclude<AccessDecision, 'allowed'>;

/** What `/audio/{fileId}` answers, before it is HTTP. */
export type Playback =
  | {
      ok: true;
      /**
       * Where the audio is now: the CDN for public audio already there, else a presigned URL; null for
       * gated audio asked about with the `check` intent (nothing signed, since nobody will fetch it).
       */
      url: string | null;
      cacheControl: string;
      /** The access rule had to admit this viewer (the track is gated now). */
      gated: boolean;
    }
  | { ok: false; reason: PlaybackRefusal; cacheControl?: string };

/** Who asks, as the host resolved it. */
export interface PlaybackViewer {
  did: string | null;
  /** The viewer lookup failed: thrown only when the answer depends on who is asking (gated audio). */
  lookupFailure?: unknown;
}

export interface PlaybackDeps {
  hot: HotReads;
  storage: Storage;
  supporters: SupporterService;
}

/** `play` wants the URL; `check` only asks whether this viewer may play it now (`HEAD`). */
export type PlaybackIntent = 'play' | 'check';

/**
 * The answer for one viewer and one fileId at `now`: the one access rule (public tracks included)
 * decides, and the placement rule says where the bytes are served from. Backing-store failures
 * are thrown (the caller answers "try again"); a failing supporter check is the `unavailable` refusal.
 */
export async function playback(
  deps: PlaybackDeps,
  viewer: PlaybackViewer,
  fileId: string,
  now: Date,
  intent: PlaybackIntent = 'play',
): Promise<Playback> {
  if (!FILE_ID.test(fileId)) return { ok: false, reason: 'not_found' };
  const track = await deps.hot.trackByFileId(fileId);
  if (!track) return { ok: false, reason: 'not_found' };
  // Gated now, by the clock: a track past its publicAt is public even before the release job ran.
  const gated = gateAt(track.supportGate, now) != null;
  if (gated && viewer.lookupFailure !== undefined) throw viewer.lookupFailure;
  const decision = await decideAccess(viewer.did, track, deps.supporters, now);
  if (decision !== 'allowed') return { ok: false, reason: decision, cacheControl: PRIVATE_CACHE };
  // After the access rule, so a gated track tells nothing about its audio to those who may not play it.
  if (track.unavailableReason === 'audio_missing') return { ok: false, reason: 'audio_missing', cacheControl: PRIVATE_CACHE };
  // A check of gated audio hands out no URL, so nothing is signed (most of a gated answer's CPU).
  if (intent === 'check' && gated) return { ok: true, url: null, cacheControl: PRIVATE_CACHE, gated };
  if (servedFromCdn(track)) {
    return { ok: true, url: deps.storage.cdnUrl(track.fileId, track.fileType), cacheControl: PUBLIC_CACHE, gated };
  }
  // From whichever bucket holds the object now, so a move in progress never breaks playback.
  const { url } = await deps.storage.presignGet(track.bucket, deps.storage.audioKey(track.fileId, track.fileType));
  return { ok: true, url, cacheControl: PRIVATE_CACHE, gated };
}
