import { and, eq } from 'drizzle-orm';
import { tracks } from '@plyr/db';
import { sameGate, type SupportGate } from '../gate.js';
import { backstopRunAt, runBeforeBackstop, type Backstop } from '../jobs/backstop.js';
import { enqueueJob } from '../jobs/enqueue.js';
import { trackCleanupKey, trackSyncKey, type DeletedTrack } from '../jobs/payloads.js';
import type { Services } from '../services.js';
import { NotTrackOwnerError, TrackNotFoundError } from './errors.js';
import { deleteAudioEverywhere } from './move.js';
import { findTrack, type TrackRow } from './queries.js';
import { cancelRelease, scheduleRelease } from './release.js';
import { deleteArtistTrackRecord } from './record-sync.js';
import { withTrackLock } from './track-lock.js';

type WriteServices = Pick<Services, 'db' | 'storage' | 'auth' | 'config' | 'logger' | 'hot'>;

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
 * object and rewriting the record to the durable `track-move` job. A gate change also replaces
 * the track's scheduled early-access release (or removes it), in the same transaction.
 */
export async function updateTrack(
  services: WriteServices,
  artistDid: string,
  trackId: string,
  input: UpdateTrackInput,
): Promise<TrackRow> {
  const row = await ownedTrack(services, artistDid, trackId);
  const titleChanged = input.title !== undefined && input.title !== row.title;
  const gate = input.supportGate;
  const gateChanged = gate !== undefined && !sameGate(gate, row.supportGate);
  // Only gated ↔ public moves the audio; a new publicAt alone rewrites the record.
  const bucketChanges = gate !== undefined && (gate === null) !== (row.supportGate === null);
  if (!titleChanged && !gateChanged) return row;
  const audio = { trackId, fileId: row.fileId, fileType: row.fileType };

  await services.db.transaction(async (tx) => {
    const updated = await tx
      .update(tracks)
      .set({
        ...(titleChanged ? { title: input.title } : {}),
        ...(gateChanged ? { supportGate: gate ?? null } : {}),
        ...(bucketChanges ? { moving: true } : {}),
        // The record no longer matches the row until the job rewrites it.
        recordCid: null,
        updatedAt: new Date(),
      })
      .where(and(eq(tracks.id, trackId), eq(tracks.artistDid, artistDid)))
      .returning({ id: tracks.id });
    if (updated.length === 0) throw new TrackNotFoundError();
    // Committed with the change or not at all; the key folds quick successive changes into one move.
    await enqueueJob(tx, 'track-move', audio, { jobKey: trackSyncKey(trackId) });
    if (gateChanged) await scheduleRelease(tx, audio, gate ?? null);
  });
  await services.hot.forgetTrack(row);
  return (await findTrack(services.db, trackId)) ?? row;
}

/** Removes the row at once, then the audio in both buckets and the record (a job retries what fails). */
export async function deleteTrack(services: WriteServices, artistDid: string, trackId: string): Promise<void> {
  const row = await ownedTrack(services, artistDid, trackId);
  const leftovers: DeletedTrack = {
    trackId,
    fileId: row.fileId,
    fileType: row.fileType,
    artistDid,
    recordUri: row.recordUri,
  };
  const backstop: Backstop<'track-cleanup'> = { name: 'track-cleanup', payload: leftovers, jobKey: trackCleanupKey(trackId) };
  await services.db.transaction(async (tx) => {
    const deleted = await tx
      .delete(tracks)
      .where(and(eq(tracks.id, trackId), eq(tracks.artistDid, artistDid)))
      .returning({ id: tracks.id });
    if (deleted.length === 0) throw new TrackNotFoundError();
    await cancelRelease(tx, trackId);
    await enqueueJob(tx, backstop.name, backstop.payload, { jobKey: backstop.jobKey, runAt: backstopRunAt() });
  });
  await services.hot.forgetTrack(row);
  await runBeforeBackstop(services.db, services.logger, backstop, () => cleanupDeletedTrack(services, leftovers));
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
