import { decideAccess, decideAccessMany, type AccessDecision } from '../access.js';
import { listLikedTracks } from '../likes/index.js';
import type { Services } from '../services.js';
import { findTrack, type TrackRow } from '../tracks/index.js';
import { attachmentDisposition, downloadFilename } from './filename.js';

export interface TrackDownload {
  /** A presigned GET that answers with `Content-Disposition: attachment`. */
  url: string;
  filename: string;
  expiresAt: Date;
}

/** What the viewer may not do: skipped as `gated` (no support) or `unavailable` (the check failed). */
export type DownloadDenial = Exclude<AccessDecision, 'allowed'>;

export type TrackDownloadResult =
  | { ok: true; download: TrackDownload }
  | { ok: false; reason: 'not_found' | DownloadDenial };

export interface LikedTrackDownload {
  track: TrackRow;
  /** The one access decision for this viewer, also what the track's `gated` is made from. */
  decision: AccessDecision;
  download: TrackDownload | null;
  skipped: 'gated' | 'unavailable' | null;
}

type DownloadServices = Pick<Services, 'db' | 'storage' | 'supporters' | 'config'>;
type DownloadableTrack = Pick<TrackRow, 'fileId' | 'fileType' | 'bucket' | 'title' | 'artistHandle'>;

/** A presigned attachment URL from whichever bucket holds the audio now. */
export async function presignTrackDownload(
  services: Pick<Services, 'storage' | 'config'>,
  track: DownloadableTrack,
): Promise<TrackDownload> {
  const filename = downloadFilename({ artist: track.artistHandle, title: track.title, ext: track.fileType });
  const { url, expiresAt } = await services.storage.presignGet(
    track.bucket,
    services.storage.audioKey(track.fileId, track.fileType),
    { expiresInSeconds: services.config.presignTtlSeconds, contentDisposition: attachmentDisposition(filename) },
  );
  return { url, filename, expiresAt };
}

/** `downloads.track`: the download when the access decision allows it, else why not. */
export async function downloadTrack(
  services: DownloadServices,
  viewerDid: string,
  trackId: string,
  now: Date,
): Promise<TrackDownloadResult> {
  const track = await findTrack(services.db, trackId);
  if (!track) return { ok: false, reason: 'not_found' };
  const decision = await decideAccess(viewerDid, track, services.supporters, now);
  if (decision !== 'allowed') return { ok: false, reason: decision };
  return { ok: true, download: await presignTrackDownload(services, track) };
}

/**
 * `downloads.likedTracks`: every liked track, newest like first, with a download or the reason it
 * was skipped. One batched access decision; nothing is presigned for a skipped track.
 */
export async function downloadLikedTracks(services: DownloadServices, viewerDid: string, now: Date): Promise<LikedTrackDownload[]> {
  const liked = await listLikedTracks(services.db, viewerDid);
  const decisions = await decideAccessMany(viewerDid, liked, services.supporters, now);
  return Promise.all(
    liked.map(async (track, i) => {
      const decision = decisions[i]!;
      if (decision === 'allowed') {
        return { track, decision, download: await presignTrackDownload(services, track), skipped: null };
      }
      // A failed supporter check is never reported as "not a supporter".
      const skipped = decision === 'unavailable' ? 'unavailable' : 'gated';
      return { track, decision, download: null, skipped };
    }),
  );
}
