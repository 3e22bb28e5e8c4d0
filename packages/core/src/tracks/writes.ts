import { and, eq } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import type { SupportGate } from '../gate.js';
import type { Services } from '../services.js';
import { NotTrackOwnerError, TrackNotFoundError } from './errors.js';
import { deleteAudioEverywhere } from './move.js';
import { findTrack, type TrackRow } from './queries.js';
import { deleteArtistTrackRecord } from './record-sync.js';
import { withTrackLock } from './track-lock.js';

type WriteServices = Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'jobs' | 'logger'>;

async function ownedTrack(services: WriteServices, artistDid: string, trackId: string): Promise<TrackRow> {
  const row = await findTrack(services.db, trackId);
  if (!row) throw new TrackNotFoundError();
  if (row.artistDid !== artistDid) throw new NotTrackOwnerError();
  return row;
}

export interface UpdateTrackInput {
  title?: string | undefined;
  /** undefined leaves the gate as it is; null makes the track public. */
  supportGate?: SupportGate | undefined;
}

/**
 * Changes the row at once (so access follows the new gate immediately) and leaves moving the
 * object and rewriting the record to the durable `track-move` job.
 */
export async function updateTrack(
  services: WriteServices,
  artistDid: string,
  trackId: string,
  input: UpdateTrackInput,
): Promise<TrackRow> {
  const row = await ownedTrack(services, artistDid, trackId);
  const titleChanged = input.title !== undefined && input.title !== row.title;
  const gateChanged = input.supportGate !== undefined && (input.supportGate === null) !== (row.supportGate === null);
  if (!titleChanged && !gateChanged) return row;

  const updated = await services.db
    .update(tracks)
    .set({
      ...(titleChanged ? { title: input.title } : {}),
      ...(gateChanged ? { supportGate: input.supportGate ?? null, moving: true } : {}),
      // The record no longer matches the row until the job rewrites it.
      recordCid: null,
      updatedAt: new Date(),
    })
    .where(and(eq(tracks.id, trackId), eq(tracks.artistDid, artistDid)))
    .returning({ id: tracks.id });
  if (updated.length === 0) throw new TrackNotFoundError();

  await services.jobs.enqueue('track-move', { trackId, fileId: row.fileId, fileType: row.fileType }).catch((err: unknown) => {
    // The row already says what must happen; maintenance re-enqueues tracks left moving.
    services.logger.error({ err, trackId }, 'could not enqueue the track move; maintenance will');
  });
  return (await findTrack(services.db, trackId)) ?? row;
}

export interface DeletedTrack {
  trackId: string;
  fileId: string;
  fileType: string;
  artistDid: string;
  recordUri: string | null;
}

/** Removes the row at once, then the audio in both buckets and the record (a job retries what fails). */
export async function deleteTrack(services: WriteServices, artistDid: string, trackId: string): Promise<void> {
  const row = await ownedTrack(services, artistDid, trackId);
  const deleted = await services.db
    .delete(tracks)
    .where(and(eq(tracks.id, trackId), eq(tracks.artistDid, artistDid)))
    .returning({ id: tracks.id });
  if (deleted.length === 0) throw new TrackNotFoundError();
  const leftovers: DeletedTrack = {
    trackId,
    fileId: row.fileId,
    fileType: row.fileType,
    artistDid,
    recordUri: row.recordUri,
  };
  try {
    await cleanupDeletedTrack(services, leftovers);
  } catch (err) {
    services.logger.warn({ err, trackId }, 'deleted track not fully cleaned up; retrying in the background');
    await services.jobs.enqueue('track-cleanup', leftovers).catch((enqueueErr: unknown) => {
      services.logger.error({ err: enqueueErr, trackId }, 'could not enqueue the cleanup of a deleted track');
    });
  }
}

/** Idempotent; under the track lock, so a move in progress cannot re-create what this removes. */
export async function cleanupDeletedTrack(
  services: Pick<Services, 'db' | 'storage' | 'auth' | 'config'>,
  track: DeletedTrack,
): Promise<void> {
  await withTrackLock(services.db, track.trackId, async () => {
    await deleteAudioEverywhere(services, track.fileId, track.fileType);
    if (track.recordUri) await deleteArtistTrackRecord(services, track.artistDid, track.recordUri);
  });
}
