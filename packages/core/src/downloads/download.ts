import { eq } from 'drizzle-orm';
import { tracks, users } from '@plyr/db';
import { decideAccess, decideAccessMany, type AccessDecision } from '../access.js';
import { listLikedTracks, type LikedTrack } from '../likes/index.js';
import type { Services } from '../services.js';
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

export interface LikedTrackDownload extends LikedTrack {
  /** The one access decision for this viewer, also what the track's `gated` is made from. */
  decision: AccessDecision;
  download: TrackDownload | null;
  skipped: 'gated' | 'unavailable' | null;
}

type DownloadServices = Pick<Services, 'db' | 'storage' | 'supporters' | 'config'>;
type DownloadableTrack = Pick<LikedTrack['track'], 'fileId' | 'fileType' | 'bucket' | 'title'>;

/** A presigned attachment URL from whichever bucket holds the audio now. */
export function presignTrackDownload(
  services: Pick<Services, 'storage' | 'config'>,
  track: DownloadableTrack,
  artistHandle: string,
): Promise<TrackDownload> {
  const filename = downloadFilename({ artist: artistHandle, title: track.title, ext: track.fileType });
  return services.storage
    .presignGet(track.bucket, services.storage.audioKey(track.fileId, track.fileType), {
      expiresInSeconds: services.config.presignTtlSeconds,
      contentDisposition: attachmentDisposition(filename),
    })
    .then(({ url, expiresAt }) => ({ url, filename, expiresAt }));
}

/** `downloads.track`: the download when the access decision allows it, else why not. */
export async function downloadTrack(
  services: DownloadServices,
  viewerDid: string,
  trackId: string,
): Promise<TrackDownloadResult> {
  const [row] = await services.db
    .select({ track: tracks, artistHandle: users.handle })
    .from(tracks)
    .innerJoin(users, eq(users.did, tracks.artistDid))
    .where(eq(tracks.id, trackId));
  if (!row) return { ok: false, reason: 'not_found' };
  const decision = await decideAccess(viewerDid, row.track, services.supporters);
  if (decision !== 'allowed') return { ok: false, reason: decision };
  return { ok: true, download: await presignTrackDownload(services, row.track, row.artistHandle) };
}

/**
 * `downloads.likedTracks`: every liked track, newest like first, with a download or the reason it
 * was skipped. One batched access decision; nothing is presigned for a skipped track.
 */
export async function downloadLikedTracks(services: DownloadServices, viewerDid: string): Promise<LikedTrackDownload[]> {
  const liked = await listLikedTracks(services.db, viewerDid);
  const decisions = await decideAccessMany(
    viewerDid,
    liked.map(({ track }) => track),
    services.supporters,
  );
  return Promise.all(
    liked.map(async (item, i) => {
      const decision = decisions[i]!;
      if (decision === 'allowed') {
        const download = await presignTrackDownload(services, item.track, item.artistHandle);
        return { ...item, decision, download, skipped: null };
      }
      // A failed supporter check is never reported as "not a supporter".
      const skipped = decision === 'unavailable' ? 'unavailable' : 'gated';
      return { ...item, decision, download: null, skipped };
    }),
  );
}
